using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Recoverly.Hosting;

/// <summary>
/// The way in for calls that start-up rehearses through the whole server: its socket, HTTP parsing, routing, every middleware
/// and the endpoint, as a real call from the provider goes (docs/deploy.md, "Start-up and readiness").
/// <para>
/// While a rehearsal sends its calls, the door holds a key of 256 random bits that exists only in this process's memory. A
/// request from this machine that carries it in <see cref="Header"/> is run inside the rehearsal: on the rehearsal's services
/// (its one database context, whose transaction is rolled back) and on its flow (<see cref="Rehearsal.Active"/>: no log, no
/// metric, no dispatcher woken). Every other request, and every request once the rehearsal has closed the door, passes as
/// it came: a wrong or stale key is simply not a rehearsal.
/// </para>
/// </summary>
public sealed class RehearsalDoor
{
    public const string Header = "X-Recoverly-Rehearsal";

    /// <summary>The answer's <see cref="Header"/> when the door let the request in.</summary>
    public const string Admitted = "admitted";

    private volatile Pass? _open;

    /// <summary>Opens the door to the running rehearsal, run on <paramref name="services"/>, until the pass is disposed.</summary>
    internal Pass Open(IServiceProvider services)
    {
        var run = Rehearsal.Running ?? throw new InvalidOperationException("no rehearsal is running");
        var pass = new Pass(this, run, services, RandomNumberGenerator.GetHexString(64, lowercase: true));
        _open = pass;
        return pass;
    }

    /// <summary>First in the pipeline, so everything after it serves the rehearsed request as it would a real one.</summary>
    internal Task Handle(HttpContext http, RequestDelegate next)
    {
        var pass = _open;
        if (pass is null || !http.Request.Headers.TryGetValue(Header, out var offered)) return next(http);
        return pass.Admits(http.Connection, offered) ? pass.RunAsync(http, next) : next(http);
    }

    internal sealed class Pass(RehearsalDoor door, Rehearsal.Run run, IServiceProvider services, string key) : IDisposable
    {
        private readonly byte[] _key = Encoding.ASCII.GetBytes(key);

        public string Key => key;

        /// <summary>The key, compared in constant time, on a connection from this machine.</summary>
        public bool Admits(ConnectionInfo connection, StringValues offered)
        {
            if (run.Ended || offered.Count != 1 || offered[0] is not { } value) return false;
            var remote = connection.RemoteIpAddress;
            if (remote is null || !(IPAddress.IsLoopback(remote) || remote.Equals(connection.LocalIpAddress))) return false;
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(value), _key);
        }

        public async Task RunAsync(HttpContext http, RequestDelegate next)
        {
            using var joined = Rehearsal.Join(run);
            http.RequestServices = services;
            // A rehearsed call stands for one the TLS proxy forwarded: it is not redirected to https and is signed for that URL.
            http.Request.Scheme = Uri.UriSchemeHttps;
            // Tells the rehearsal that this process, not whatever else answers on the address, ran its call.
            http.Response.Headers[Header] = Admitted;
            await next(http);
        }

        public void Dispose() => Interlocked.CompareExchange(ref door._open, null, this);
    }

    /// <summary>
    /// An address of this server that a client on this machine can reach over plain HTTP: a wildcard or a host name becomes
    /// loopback. Null when the server has none (HTTPS or a Unix socket only, or no socket at all, as under a test host).
    /// </summary>
    public static Uri? LocalAddress(IEnumerable<string> addresses)
    {
        const string scheme = "http://";
        foreach (var address in addresses)
        {
            if (!address.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) continue;
            var end = address.IndexOf('/', scheme.Length);
            var authority = end < 0 ? address[scheme.Length..] : address[scheme.Length..end];
            // The port the server bound, stated (a Unix socket's "unix:/path" has none).
            var colon = authority.LastIndexOf(':');
            if (colon <= authority.LastIndexOf(']') || !ushort.TryParse(authority[(colon + 1)..], out var port) || port == 0) continue;
            var name = authority[..colon].Trim('[', ']');
            var host = !IPAddress.TryParse(name, out var ip) || ip.Equals(IPAddress.Any) ? "127.0.0.1"
                : ip.Equals(IPAddress.IPv6Any) ? "[::1]"
                : ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
            return new Uri($"http://{host}:{port}");
        }
        return null;
    }
}

public static class RehearsalDoorExtensions
{
    public static void UseRehearsalDoor(this IApplicationBuilder app)
    {
        var door = app.ApplicationServices.GetRequiredService<RehearsalDoor>();
        app.Use(next => http => door.Handle(http, next));
    }
}
