namespace Broker.Cli.Arguments;

/// <summary>How results are printed: aligned columns for people, or the API's JSON for scripts.</summary>
internal enum OutputFormat
{
    Table,
    Json,
}
