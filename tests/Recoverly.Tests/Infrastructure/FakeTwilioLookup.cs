using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// A Twilio Lookup v2 double on the real wire format (<c>GET /v2/PhoneNumbers/{E164}?Fields=line_type_intelligence</c>, Basic
/// auth, Twilio's error JSON). Every number is "mobile" unless <see cref="LineTypes"/> says otherwise; <see cref="Script"/>
/// makes the next lookups fail (an HTTP status) or never answer (<see cref="Scripted.Never"/>).
/// </summary>
public sealed class FakeTwilioLookup(string accountSid, string authToken)
{
    public const string BaseUrl = "https://lookups.twilio.test";

    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<Scripted> _script = new();

    public ConcurrentDictionary<string, string> LineTypes { get; } = new();

    /// <summary>The numbers looked up, in order.</summary>
    public IReadOnlyList<string> Requests => _requests.ToArray();

    public void Script(params Scripted[] answers)
    {
        foreach (var a in answers) _script.Enqueue(a);
    }

    private async Task<(int Status, string Json)> HandleAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}"));
        if (request.Headers.Authorization?.ToString() != expectedAuth) return Error(401, 20003, "Authenticate");
        const string prefix = "/v2/PhoneNumbers/";
        var path = request.RequestUri!.AbsolutePath;
        if (request.Method != HttpMethod.Get || !path.StartsWith(prefix, StringComparison.Ordinal))
            return Error(404, 20404, "The requested resource was not found");
        var number = WebUtility.UrlDecode(path[prefix.Length..]);
        _requests.Enqueue(number);
        if (_script.TryDequeue(out var scripted))
        {
            if (scripted.Until is { } until) await until.WaitAsync(ct);
            if (scripted.HttpStatus is < 200 or >= 300) return Error(scripted.HttpStatus, scripted.Code, $"Scripted error {scripted.Code}");
        }
        var type = LineTypes.GetValueOrDefault(number, "mobile");
        var withLineType = request.RequestUri.Query.Contains("Fields=line_type_intelligence", StringComparison.Ordinal);
        return (200, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["calling_country_code"] = "1", ["country_code"] = "US", ["phone_number"] = number, ["national_format"] = number, ["valid"] = true,
            ["validation_errors"] = Array.Empty<string>(), ["caller_name"] = null, ["sim_swap"] = null, ["call_forwarding"] = null,
            ["line_status"] = null,
            ["line_type_intelligence"] = withLineType
                ? new Dictionary<string, object?>
                {
                    ["error_code"] = null, ["mobile_country_code"] = type == "mobile" ? "310" : null, ["mobile_network_code"] = type == "mobile" ? "456" : null,
                    ["carrier_name"] = type == "mobile" ? "T-Mobile USA, Inc." : "AT&T Local", ["type"] = type,
                }
                : null,
            ["identity_match"] = null, ["reassigned_number"] = null, ["sms_pumping_risk"] = null, ["phone_number_quality_score"] = null,
            ["pre_fill"] = null, ["url"] = $"https://lookups.twilio.com/v2/PhoneNumbers/{number}",
        }));
    }

    private static (int, string) Error(int status, int code, string message) =>
        (status, JsonSerializer.Serialize(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status }));

    /// <summary>The in-process transport: plugs in as the "twilio-lookup" HttpClient's primary handler.</summary>
    public HttpMessageHandler Handler() => new InProcess(this);

    private sealed class InProcess(FakeTwilioLookup api) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var (status, json) = await api.HandleAsync(request, ct);
            return new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }
    }
}
