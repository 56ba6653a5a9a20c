using System.Globalization;
using System.Net;
using System.Text;

namespace Recoverly.Hosting;

/// <summary>
/// The innermost handler of the providers' send clients. During start-up's rehearsal (<see cref="Rehearsal.Active"/>) no request
/// leaves the process: a send is answered here the way the provider answers an accepted message (a fresh message id, status
/// <c>queued</c>), and anything else with 503, so the adapters' request building and answer parsing are compiled before the
/// first real text (docs/deploy.md, "Start-up and readiness"). Outside the rehearsal it only passes requests on.
/// </summary>
public sealed class RehearsalAnswers : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        Rehearsal.Active ? AnswerAsync(request) : base.SendAsync(request, ct);

    /// <summary>Answers on another turn of the thread pool, as a real answer arrives, so the callers' waiting paths run too.</summary>
    private static async Task<HttpResponseMessage> AnswerAsync(HttpRequestMessage request)
    {
        await Task.Yield();
        var path = request.RequestUri?.AbsolutePath ?? "";
        var answer = request.Method != HttpMethod.Post ? null
            : path.EndsWith("/Messages.json", StringComparison.Ordinal) ? (HttpStatusCode.Created, TwilioMessage())
            : path.EndsWith("/v2/messages", StringComparison.Ordinal) ? (HttpStatusCode.OK, TelnyxMessage())
            : ((HttpStatusCode, string)?)null;
        var (status, json) = answer ?? (HttpStatusCode.ServiceUnavailable, "{}");
        return new HttpResponseMessage(status)
        {
            RequestMessage = request,
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
    }

    /// <summary>Twilio's Message resource as its create call returns it (the fields the adapter reads, and the usual others).</summary>
    private static string TwilioMessage() => $$"""
        {"sid": "SM{{Guid.NewGuid():N}}", "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
         "date_created": "{{DateTime.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture)}}",
         "num_segments": "1", "num_media": "0", "error_code": null, "error_message": null}
        """;

    /// <summary>Telnyx's answer to <c>POST /v2/messages</c>: the message, its id and each recipient's status.</summary>
    private static string TelnyxMessage() => $$$"""
        {"data": {"record_type": "message", "id": "{{{Guid.NewGuid()}}}", "direction": "outbound", "type": "SMS",
         "to": [{"phone_number": "", "status": "queued"}], "from": {"phone_number": ""}, "text": ""}}
        """;
}
