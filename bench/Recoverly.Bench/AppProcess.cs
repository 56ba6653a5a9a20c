using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Recoverly.Bench;

/// <summary>
/// The app under test, as its own process (`dotnet Recoverly.dll --urls ...`), so it gets no help
/// from the benchmark's JIT, GC or thread pool. Its output goes to files; warning and error log
/// lines are counted and the first few kept for the report.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly ConcurrentQueue<string> _problems = new();
    private int _warnings, _errors;
    private string? _pendingLevel;

    private AppProcess(Process process, StreamWriter log, string baseUrl)
    {
        _process = process;
        _log = log;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }
    public int Pid => _process.Id;
    public int Warnings => Volatile.Read(ref _warnings);
    public int Errors => Volatile.Read(ref _errors);
    public IReadOnlyCollection<string> Problems => _problems;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <param name="contentRoot">The app's working directory and content root (wwwroot, appsettings), as with `dotnet run --project`.</param>
    public static AppProcess Start(string dll, int port, IEnumerable<KeyValuePair<string, string>> environment, string logFile, string contentRoot)
    {
        var baseUrl = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = contentRoot,
        };
        foreach (var a in new[] { dll, "--urls", baseUrl }) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the app");
        process.StandardInput.Close();
        var app = new AppProcess(process, new StreamWriter(logFile) { AutoFlush = true }, baseUrl);
        process.OutputDataReceived += (_, e) => app.OnLine("out", e.Data);
        process.ErrorDataReceived += (_, e) => app.OnLine("err", e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return app;
    }

    private void OnLine(string stream, string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            _log.WriteLine($"[{stream}] {line}");
            // The console logger writes "fail: Category[id]" and the message on the next line.
            if (_pendingLevel is { } level)
            {
                if (_problems.Count < 20) _problems.Enqueue($"{level} {line.Trim()}");
                _pendingLevel = null;
            }
            if (line.StartsWith("warn:", StringComparison.Ordinal)) { _warnings++; _pendingLevel = line; }
            else if (line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal)) { _errors++; _pendingLevel = line; }
            else if (stream == "err" && line.Contains("Exception", StringComparison.Ordinal))
            {
                _errors++;
                if (_problems.Count < 20) _problems.Enqueue(line.Trim());
            }
        }
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"the app exited with code {_process.ExitCode} before it was healthy; see its log");
            try
            {
                using var response = await http.GetAsync(BaseUrl + "/healthz");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"GET {BaseUrl}/healthz did not answer 200 within {timeout.TotalSeconds:0} s");
    }

    /// <summary>SIGTERM (graceful shutdown), then a hard kill of this one process if it lingers.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        await LocalPostgres.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)], Environment.CurrentDirectory);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.WaitForExit(); // drains the redirected output
        _process.Dispose();
        lock (_log) _log.Dispose();
    }
}
