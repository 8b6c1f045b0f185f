namespace Broker.Cli;

/// <summary>
/// The exit codes of <c>broker admin</c>, for scripts and probes. The usage, unreachable and
/// permission codes are the BSD sysexits values rabbitmqctl also uses.
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked; a health check found the broker healthy.</summary>
    public const int Ok = 0;

    /// <summary>The API refused or failed the command (4xx other than 401/403, 5xx), a health check
    /// failed, or the answer was not what the API answers.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: unknown command or option, missing or malformed value.</summary>
    public const int Usage = 64;

    /// <summary>No answer from the management API: connection refused, unknown host, timeout.</summary>
    public const int Unreachable = 69;

    /// <summary>The API answered 401 or 403: wrong credentials, or a user without the needed tag or
    /// permission.</summary>
    public const int NotAuthorised = 77;
}
