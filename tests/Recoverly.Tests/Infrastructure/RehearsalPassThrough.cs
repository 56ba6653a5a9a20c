using Recoverly.Hosting;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// Wraps an in-memory stand-in of a provider's API as a send client's primary handler. Deployed, that handler is the real
/// socket client, and start-up's rehearsed sends reach the rehearsal's own loopback stand-in through it
/// (<see cref="RehearsalProvider"/>); here those requests take real sockets too, and every other request the fake.
/// </summary>
public sealed class RehearsalPassThrough(HttpMessageHandler fake) : DelegatingHandler(fake)
{
    private static readonly HttpMessageInvoker Sockets = new(new SocketsHttpHandler());

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        Rehearsal.Provider is { } standIn && request.RequestUri is { } uri && uri.Authority == standIn.Authority
            ? Sockets.SendAsync(request, ct)
            : base.SendAsync(request, ct);
}
