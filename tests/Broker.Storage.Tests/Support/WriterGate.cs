using Broker.Storage.Messages;

namespace Broker.Storage.Tests.Support;

/// <summary>
/// Work for a store's writer thread that can hold the thread still (so appends stay pending, unwritten)
/// and that counts the writer's passes (it runs once at the end of each pass).
/// </summary>
internal sealed class WriterGate : IStoreWork, IDisposable
{
    private readonly MessageStore _store;
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private readonly ManualResetEventSlim _parked = new(initialState: false);
    private int _passes;

    private WriterGate(MessageStore store)
    {
        _store = store;
    }

    public int Passes => Volatile.Read(ref _passes);

    public static WriterGate Install(MessageStore store)
    {
        var gate = new WriterGate(store);
        store.AddWork(gate);
        return gate;
    }

    /// <summary>Parks the writer thread at the end of its next pass: whatever is appended from now on is not written.</summary>
    public void Close()
    {
        _parked.Reset();
        _open.Reset();
        _store.Signal();
        if (!_parked.Wait(Wait.Timeout))
        {
            Assert.Fail("the writer thread did not park in the gate");
        }
    }

    public void Open() => _open.Set();

    /// <summary>Waits until a whole writer pass started after this call has ended (everything appended before is written).</summary>
    public void Drain()
    {
        for (var i = 0; i < 2; i++)
        {
            var passes = Passes;
            _store.Signal();
            Wait.Until(() => Passes > passes, "a writer pass");
        }
    }

    public void Dispose()
    {
        _open.Set();
    }

    void IStoreWork.Run()
    {
        if (!_open.IsSet)
        {
            _parked.Set();
            _open.Wait(Wait.Timeout);
        }

        Interlocked.Increment(ref _passes);
    }
}
