using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests;

public sealed class DataDirectoryTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Incarnation_IncrementsOnEachOpen()
    {
        var incarnations = new List<uint>();
        for (var i = 0; i < 3; i++)
        {
            using var directory = DataDirectory.Open(_directory.Path);
            incarnations.Add(directory.Incarnation);
        }

        Assert.Equal([1u, 2u, 3u], incarnations);
    }

    [Fact]
    public void SecondOpen_WhileTheFirstIsOpen_FailsWithIOException()
    {
        using (var first = DataDirectory.Open(_directory.Path))
        {
            var error = Assert.Throws<IOException>(() => DataDirectory.Open(_directory.Path));
            Assert.Contains("in use", error.Message, StringComparison.Ordinal);
            Assert.Equal(1u, first.Incarnation);
        }

        // The failed open did not count as a run; once the first is closed the directory opens again.
        using var again = DataDirectory.Open(_directory.Path);
        Assert.Equal(2u, again.Incarnation);
    }

    [Fact]
    public void Open_CreatesAMissingDirectoryAndReportsItsFullPath()
    {
        var nested = Path.Combine(_directory.Path, "a", "b", "..", "data");

        using var directory = DataDirectory.Open(nested);

        Assert.Equal(Path.GetFullPath(nested), directory.Path);
        Assert.True(Directory.Exists(directory.Path));
        Assert.True(File.Exists(Path.Combine(directory.Path, "incarnation")));
        Assert.Equal(1u, directory.Incarnation);
    }

    [Fact]
    public void Open_WithAnUnreadableIncarnationFile_StartsCountingAgain()
    {
        File.WriteAllBytes(_directory.Combine("incarnation"), [7]);

        using var directory = DataDirectory.Open(_directory.Path);

        Assert.Equal(1u, directory.Incarnation);
    }
}
