using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Recoverly.Tests.Infrastructure;

public sealed record OwnedNumber(string Sid, string E164, bool Voice = true, bool Sms = true)
{
    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>A sender of the Messaging Service (<c>/v1/Services/{MG}/PhoneNumbers/{PN}</c> answers 200, else 404).</summary>
    public bool InMessagingService { get; set; } = true;

    /// <summary>The toll-free verification's status (TWILIO_APPROVED, PENDING_REVIEW, IN_REVIEW, TWILIO_REJECTED); null: none submitted.</summary>
    public string? TollFreeStatus { get; set; } = "TWILIO_APPROVED";
}

/// <summary>
/// The IncomingPhoneNumbers part of the Twilio REST double (list, paged; update) on the real wire format.
/// <see cref="Handler"/> serves those paths and hands every other request to the Messages double.
/// </summary>
public sealed class FakeTwilioNumbers(string accountSid, string authToken)
{
    private readonly ConcurrentDictionary<string, OwnedNumber> _owned = new();
    private readonly ConcurrentQueue<(string Sid, IReadOnlyDictionary<string, string> Form)> _updates = new();
    private int _listings;

    /// <summary>Page size the fake uses regardless of what the client asks, so paging is exercised.</summary>
    public int PageSize { get; set; } = 2;

    public IReadOnlyList<(string Sid, IReadOnlyDictionary<string, string> Form)> Updates => _updates.ToArray();

    /// <summary>The Messaging Service's A2P campaign status (VERIFIED, PENDING, IN_PROGRESS, FAILED); null: no campaign.</summary>
    public string? CampaignStatus { get; set; } = "VERIFIED";

    /// <summary>While true, every registration endpoint answers 500 (Twilio down).</summary>
    public bool RegistrationDown { get; set; }

    private int _registrationRequests;

    /// <summary>Requests to the registration endpoints (messaging.twilio.com /v1/…).</summary>
    public int RegistrationRequests => Volatile.Read(ref _registrationRequests);

    /// <summary>Reads of the account's numbers without a PhoneNumber filter: what listing the whole account looks like.</summary>
    public int Listings => Volatile.Read(ref _listings);

    public OwnedNumber Own(string e164, bool voice = true, bool sms = true)
    {
        var n = new OwnedNumber("PN" + Guid.NewGuid().ToString("N"), e164, voice, sms);
        _owned[n.Sid] = n;
        return n;
    }

    public OwnedNumber? Find(string e164) => _owned.Values.FirstOrDefault(n => n.E164 == e164);

    public HttpMessageHandler Handler(HttpMessageHandler others) => new InProcess(this, others);

    internal (int Status, string Json)? Handle(string method, string path, IReadOnlyDictionary<string, string> query,
        IReadOnlyDictionary<string, string> form, string? authorization)
    {
        if (path.StartsWith("/v1/", StringComparison.Ordinal)) return HandleRegistration(path, query, authorization);
        var prefix = $"/2010-04-01/Accounts/{accountSid}/IncomingPhoneNumbers";
        var at = path.IndexOf(prefix, StringComparison.Ordinal);
        if (at < 0) return null;
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}"));
        if (authorization != expectedAuth) return Error(401, 20003, "Authenticate");
        var rest = path[(at + prefix.Length)..];

        if (method == "GET" && rest == ".json")
        {
            var page = query.TryGetValue("Page", out var p) ? int.Parse(p, CultureInfo.InvariantCulture) : 0;
            var filter = query.GetValueOrDefault("PhoneNumber");
            if (filter is null && page == 0) Interlocked.Increment(ref _listings);
            var all = _owned.Values.Where(n => filter is null || n.E164 == filter).OrderBy(n => n.E164, StringComparer.Ordinal).ToList();
            var slice = all.Skip(page * PageSize).Take(PageSize).Select(Resource).ToList();
            var more = (page + 1) * PageSize < all.Count;
            var uri = prefix + ".json";
            return (200, JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["incoming_phone_numbers"] = slice, ["end"] = page * PageSize + Math.Max(0, slice.Count - 1),
                ["first_page_uri"] = $"{uri}?PageSize={PageSize}&Page=0",
                ["next_page_uri"] = more ? $"{uri}?PageSize={PageSize}&Page={page + 1}" : null,
                ["page"] = page, ["page_size"] = PageSize, ["previous_page_uri"] = null, ["start"] = page * PageSize, ["uri"] = uri,
            }));
        }
        if (method == "POST" && rest.StartsWith('/') && rest.EndsWith(".json", StringComparison.Ordinal))
        {
            var sid = rest[1..^5];
            if (!_owned.TryGetValue(sid, out var number)) return Error(404, 20404, "The requested resource was not found");
            _updates.Enqueue((sid, new Dictionary<string, string>(form)));
            foreach (var (k, v) in form) number.Settings[k] = v;
            return (200, JsonSerializer.Serialize(Resource(number)));
        }
        return Error(404, 20404, "The requested resource was not found");
    }

    /// <summary>
    /// messaging.twilio.com's registration reads, on the real wire format: a Messaging Service's A2P campaigns
    /// (<c>{"compliance": [...], "meta": ...}</c>), one sender of the service, and toll-free verifications by number.
    /// </summary>
    private (int Status, string Json) HandleRegistration(string path, IReadOnlyDictionary<string, string> query, string? authorization)
    {
        Interlocked.Increment(ref _registrationRequests);
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}"));
        if (authorization != expectedAuth) return Error(401, 20003, "Authenticate");
        if (RegistrationDown) return Error(500, 20500, "Internal Server Error");
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts is ["v1", "Services", var mg, "Compliance", "Usa2p"])
        {
            var compliance = CampaignStatus is null ? [] : new[]
            {
                new Dictionary<string, object?>
                {
                    ["sid"] = "QE2c6890da8086d771620e9b13fadeba0b", ["account_sid"] = accountSid, ["brand_registration_sid"] = "BN0000000000000000000000000000001",
                    ["messaging_service_sid"] = mg, ["campaign_status"] = CampaignStatus, ["campaign_id"] = "CFOOBAR", ["us_app_to_person_usecase"] = "CUSTOMER_CARE",
                    ["is_externally_registered"] = false, ["errors"] = Array.Empty<object>(),
                },
            };
            return (200, JsonSerializer.Serialize(new Dictionary<string, object?> { ["compliance"] = compliance, ["meta"] = Meta($"/v1/Services/{mg}/Compliance/Usa2p", "compliance") }));
        }
        if (parts is ["v1", "Services", var service, "PhoneNumbers", var pn])
        {
            if (!_owned.TryGetValue(pn, out var number) || !number.InMessagingService) return Error(404, 20404, "The requested resource was not found");
            return (200, JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["sid"] = pn, ["account_sid"] = accountSid, ["service_sid"] = service, ["phone_number"] = number.E164, ["country_code"] = "US",
                ["capabilities"] = new[] { "SMS", "Voice" }, ["url"] = $"https://messaging.twilio.com/v1/Services/{service}/PhoneNumbers/{pn}",
            }));
        }
        if (parts is ["v1", "Tollfree", "Verifications"])
        {
            var sid = query.GetValueOrDefault("TollfreePhoneNumberSid");
            var matches = _owned.Values.Where(n => (sid is null || n.Sid == sid) && n.TollFreeStatus is not null).Select(n => new Dictionary<string, object?>
            {
                ["sid"] = "HH" + n.Sid[2..], ["account_sid"] = accountSid, ["tollfree_phone_number_sid"] = n.Sid, ["status"] = n.TollFreeStatus,
                ["rejection_reason"] = n.TollFreeStatus == "TWILIO_REJECTED" ? "Opt-in information is missing" : null, ["edit_allowed"] = true,
            }).ToList();
            return (200, JsonSerializer.Serialize(new Dictionary<string, object?> { ["verifications"] = matches, ["meta"] = Meta("/v1/Tollfree/Verifications", "verifications") }));
        }
        return Error(404, 20404, "The requested resource was not found");
    }

    private static Dictionary<string, object?> Meta(string path, string key) => new()
    {
        ["page"] = 0, ["page_size"] = 20, ["first_page_url"] = $"https://messaging.twilio.com{path}?PageSize=20&Page=0",
        ["previous_page_url"] = null, ["next_page_url"] = null, ["key"] = key, ["url"] = $"https://messaging.twilio.com{path}?PageSize=20&Page=0",
    };

    private static (int, string) Error(int status, int code, string message) =>
        (status, JsonSerializer.Serialize(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status }));

    private Dictionary<string, object?> Resource(OwnedNumber n) => new()
    {
        ["account_sid"] = accountSid, ["address_requirements"] = "none", ["api_version"] = "2010-04-01", ["beta"] = false,
        ["capabilities"] = new Dictionary<string, bool> { ["voice"] = n.Voice, ["sms"] = n.Sms, ["mms"] = n.Sms, ["fax"] = false },
        ["date_created"] = "Thu, 30 Jul 2015 23:19:04 +0000", ["date_updated"] = "Thu, 30 Jul 2015 23:19:04 +0000",
        ["friendly_name"] = Recoverly.Telephony.Phones.FormatForDisplay(n.E164), ["phone_number"] = n.E164, ["origin"] = "twilio",
        ["sid"] = n.Sid, ["sms_application_sid"] = n.Settings.GetValueOrDefault("SmsApplicationSid", ""),
        ["sms_method"] = n.Settings.GetValueOrDefault("SmsMethod", "POST"), ["sms_url"] = n.Settings.GetValueOrDefault("SmsUrl", ""),
        ["status_callback"] = n.Settings.GetValueOrDefault("StatusCallback", ""),
        ["status_callback_method"] = n.Settings.GetValueOrDefault("StatusCallbackMethod", "POST"),
        ["voice_application_sid"] = n.Settings.GetValueOrDefault("VoiceApplicationSid", ""),
        ["voice_method"] = n.Settings.GetValueOrDefault("VoiceMethod", "POST"), ["voice_url"] = n.Settings.GetValueOrDefault("VoiceUrl", ""),
        ["status"] = "in-use", ["uri"] = $"/2010-04-01/Accounts/{accountSid}/IncomingPhoneNumbers/{n.Sid}.json",
    };

    private sealed class InProcess(FakeTwilioNumbers api, HttpMessageHandler others) : DelegatingHandler(others)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (!request.RequestUri!.AbsolutePath.Contains("/IncomingPhoneNumbers", StringComparison.Ordinal)
                && !request.RequestUri.AbsolutePath.StartsWith("/v1/", StringComparison.Ordinal))
                return await base.SendAsync(request, ct);
            var form = Pairs(request.Content is null ? "" : await request.Content.ReadAsStringAsync(ct));
            var query = Pairs(request.RequestUri.Query.TrimStart('?'));
            var (status, json) = api.Handle(request.Method.Method, request.RequestUri.AbsolutePath, query, form,
                request.Headers.Authorization?.ToString()) ?? Error(404, 20404, "The requested resource was not found");
            return new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }

        private static Dictionary<string, string> Pairs(string encoded)
        {
            var pairs = new Dictionary<string, string>();
            foreach (var pair in encoded.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                pairs[WebUtility.UrlDecode(kv[0])] = kv.Length > 1 ? WebUtility.UrlDecode(kv[1]) : "";
            }
            return pairs;
        }
    }
}
