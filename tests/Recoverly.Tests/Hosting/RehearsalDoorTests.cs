using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Hosting;

namespace Recoverly.Tests.Hosting;

/// <summary>
/// The door start-up rehearses calls through (docs/deploy.md, "Start-up and readiness"): only a request from this machine
/// carrying the running rehearsal's key is run inside the rehearsal; everything else passes as it came.
/// </summary>
public class RehearsalDoorTests
{
    private sealed record Seen(bool Rehearsal, IServiceProvider Services, string Scheme);

    private static readonly IServiceProvider RequestOwn = new ServiceCollection().BuildServiceProvider();
    private static readonly IServiceProvider RehearsalOwn = new ServiceCollection().BuildServiceProvider();

    /// <summary>Served on a flow of its own, as the server serves a request: not the rehearsal's unless the door makes it so.</summary>
    private static Task<Seen> SendAsync(RehearsalDoor door, string? key, IPAddress remote, IPAddress? local = null)
    {
        using (ExecutionContext.SuppressFlow()) return Task.Run(() => ServeAsync(door, key, remote, local));
    }

    private static async Task<Seen> ServeAsync(RehearsalDoor door, string? key, IPAddress remote, IPAddress? local)
    {
        var http = new DefaultHttpContext { RequestServices = RequestOwn };
        http.Request.Scheme = "http";
        http.Connection.RemoteIpAddress = remote;
        http.Connection.LocalIpAddress = local ?? IPAddress.Loopback;
        if (key is not null) http.Request.Headers[RehearsalDoor.Header] = key;
        Seen? seen = null;
        await door.Handle(http, h =>
        {
            seen = new Seen(Rehearsal.Active, h.RequestServices, h.Request.Scheme);
            return Task.CompletedTask;
        });
        return seen!;
    }

    [Fact]
    public async Task Only_the_open_key_from_this_machine_runs_a_request_inside_the_rehearsal()
    {
        var door = new RehearsalDoor();
        using (Rehearsal.Begin())
        {
            using var pass = door.Open(RehearsalOwn);
            Assert.Equal(new Seen(true, RehearsalOwn, "https"), await SendAsync(door, pass.Key, IPAddress.Loopback));
            Assert.Equal(new Seen(true, RehearsalOwn, "https"), await SendAsync(door, pass.Key, IPAddress.IPv6Loopback, IPAddress.IPv6Loopback));
            // This machine's own address, when the server listens on it rather than on loopback.
            Assert.Equal(new Seen(true, RehearsalOwn, "https"), await SendAsync(door, pass.Key, IPAddress.Parse("10.0.0.7"), IPAddress.Parse("10.0.0.7")));

            // A wrong key, no key, or the right key from another machine: an ordinary request.
            var ordinary = new Seen(false, RequestOwn, "http");
            var wrong = (pass.Key[0] == '0' ? "1" : "0") + pass.Key[1..];
            Assert.Equal(ordinary, await SendAsync(door, wrong, IPAddress.Loopback));
            Assert.Equal(ordinary, await SendAsync(door, null, IPAddress.Loopback));
            Assert.Equal(ordinary, await SendAsync(door, pass.Key, IPAddress.Parse("203.0.113.9"), IPAddress.Parse("10.0.0.7")));
        }
    }

    [Fact]
    public async Task A_key_is_worthless_once_its_rehearsal_closed_the_door_or_ended()
    {
        var door = new RehearsalDoor();
        string key;
        using (Rehearsal.Begin())
        {
            using (var pass = door.Open(RehearsalOwn)) key = pass.Key;
            Assert.Equal(new Seen(false, RequestOwn, "http"), await SendAsync(door, key, IPAddress.Loopback));
        }
        Assert.Equal(new Seen(false, RequestOwn, "http"), await SendAsync(door, key, IPAddress.Loopback));

        // A pass left open by a rehearsal that has ended admits nothing either.
        string stale;
        using (Rehearsal.Begin()) stale = door.Open(RehearsalOwn).Key;
        Assert.Equal(new Seen(false, RequestOwn, "http"), await SendAsync(door, stale, IPAddress.Loopback));

        // Each rehearsal has a key of its own.
        using (Rehearsal.Begin())
        {
            using var next = door.Open(RehearsalOwn);
            Assert.NotEqual(stale, next.Key);
            Assert.Equal(64, next.Key.Length);
        }
    }

    [Fact]
    public void Without_a_rehearsal_the_door_cannot_be_opened()
    {
        Assert.Throws<InvalidOperationException>(() => new RehearsalDoor().Open(RehearsalOwn));
    }

    [Theory]
    [InlineData("http://localhost:5080", "http://127.0.0.1:5080/")]
    [InlineData("http://127.0.0.1:41000", "http://127.0.0.1:41000/")]
    [InlineData("http://0.0.0.0:80", "http://127.0.0.1/")]
    [InlineData("http://[::]:8080", "http://[::1]:8080/")]
    [InlineData("http://[::1]:8080", "http://[::1]:8080/")]
    [InlineData("http://10.0.0.7:8080", "http://10.0.0.7:8080/")]
    [InlineData("http://app.internal:8080", "http://127.0.0.1:8080/")]
    public void The_rehearsal_reaches_the_server_on_a_local_plain_http_address(string bound, string expected)
    {
        Assert.Equal(new Uri(expected), RehearsalDoor.LocalAddress([bound]));
    }

    [Fact]
    public void A_server_without_a_plain_http_port_has_no_address_to_rehearse_through()
    {
        Assert.Null(RehearsalDoor.LocalAddress([]));
        Assert.Null(RehearsalDoor.LocalAddress(["https://localhost:5443"]));
        Assert.Null(RehearsalDoor.LocalAddress(["http://unix:/run/recoverly.sock"]));
        Assert.Null(RehearsalDoor.LocalAddress(["http://localhost"]));
        // The first usable one is taken.
        Assert.Equal(new Uri("http://127.0.0.1:5080/"), RehearsalDoor.LocalAddress(["https://localhost:5443", "http://localhost:5080"]));
    }
}
