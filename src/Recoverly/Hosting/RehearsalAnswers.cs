using System.Net;

namespace Recoverly.Hosting;

/// <summary>
/// The innermost handler of the providers' send clients. During start-up's rehearsal (<see cref="Rehearsal.Active"/>) no request
/// reaches the provider: a request goes, without its credentials, to the rehearsal's stand-in on loopback
/// (<see cref="RehearsalProvider"/>) through the real client beneath this handler, or is refused here with 503 when the
/// rehearsal has none (docs/deploy.md, "Start-up and readiness"). Outside the rehearsal it only passes requests on.
/// </summary>
public sealed class RehearsalAnswers : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (!Rehearsal.Active) return base.SendAsync(request, ct);
        if (Rehearsal.Provider is not { } standIn || request.RequestUri is not { } uri)
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request });
        request.RequestUri = new Uri(standIn, uri.PathAndQuery);
        request.Headers.Authorization = null;
        return base.SendAsync(request, ct);
    }
}
