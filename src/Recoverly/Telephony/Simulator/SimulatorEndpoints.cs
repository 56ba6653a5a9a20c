using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Data;

namespace Recoverly.Telephony.Simulator;

public static class SimulatorEndpoints
{
    public static IServiceCollection AddSimulator(this IServiceCollection services)
    {
        services.AddSingleton<SimulatorCarrier>();
        services.AddHttpClient(SimulatorCarrier.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(20));
        return services;
    }

    public static void MapSimulator(this IEndpointRouteBuilder app)
    {
        // The Twilio REST surface the adapter calls (same paths, auth and JSON as api.twilio.com).
        var api = app.MapGroup(ApiBaseUrlHandler.SimulatorPath + "/2010-04-01/Accounts/{accountSid}").DisableAntiforgery();
        api.MapPost("/Messages.json", CreateMessageAsync);
        api.MapGet("/Messages.json", ListMessages);
        // A voicemail's media, in Twilio's URL shape and with its auth, so the owner's player works in the demo and in tests.
        api.MapGet("/Recordings/{recording}", (string accountSid, string recording, HttpRequest request, IOptions<TwilioOptions> twilio) =>
            !Authorized(request, accountSid, twilio.Value) ? TwilioError(401, 20003, "Authenticate")
            : RecordingMedia.RecordingSid("https://api.twilio.com/Recordings/" + recording) is null ? TwilioError(404, 20404, "The requested resource was not found")
            : Results.File(RecordingMedia.SilentMp3(), RecordingMedia.ContentType));
        api.MapPost("/Calls.json", CreateCallAsync);
        api.MapGet("/IncomingPhoneNumbers.json", (string accountSid, string? phoneNumber, HttpRequest request, IOptions<TwilioOptions> twilio) =>
            !Authorized(request, accountSid, twilio.Value) ? TwilioError(401, 20003, "Authenticate")
            : Results.Json(new Dictionary<string, object?>
            {
                ["incoming_phone_numbers"] = SimulatorNumberPool.Pool.Where(n => phoneNumber is null || n == phoneNumber)
                    .Select(n => new Dictionary<string, object?> { ["sid"] = SimulatorNumberSid(n), ["phone_number"] = n, ["account_sid"] = accountSid }),
                ["page"] = 0, ["page_size"] = 100, ["next_page_uri"] = null,
            }));
        // messaging.twilio.com's registration reads (docs/product/registration.md): every simulator number is registered.
        var messaging = app.MapGroup(ApiBaseUrlHandler.SimulatorPath + "/v1").DisableAntiforgery();
        messaging.MapGet("/Services/{service}/Compliance/Usa2p", (string service, HttpRequest request, IOptions<TwilioOptions> twilio) =>
            !Authorized(request, twilio.Value.AccountSid ?? "", twilio.Value) ? TwilioError(401, 20003, "Authenticate")
            : Results.Json(new Dictionary<string, object?>
            {
                ["compliance"] = new[] { new Dictionary<string, object?> { ["sid"] = "QE" + new string('0', 32), ["messaging_service_sid"] = service, ["campaign_status"] = "VERIFIED" } },
                ["meta"] = new Dictionary<string, object?> { ["page"] = 0, ["page_size"] = 20, ["key"] = "compliance", ["next_page_url"] = null },
            }));
        messaging.MapGet("/Services/{service}/PhoneNumbers/{sid}", (string service, string sid, HttpRequest request, IOptions<TwilioOptions> twilio) =>
            !Authorized(request, twilio.Value.AccountSid ?? "", twilio.Value) ? TwilioError(401, 20003, "Authenticate")
            : Results.Json(new Dictionary<string, object?> { ["sid"] = sid, ["service_sid"] = service, ["country_code"] = "US" }));
        messaging.MapGet("/Tollfree/Verifications", (string? tollfreePhoneNumberSid, HttpRequest request, IOptions<TwilioOptions> twilio) =>
            !Authorized(request, twilio.Value.AccountSid ?? "", twilio.Value) ? TwilioError(401, 20003, "Authenticate")
            : Results.Json(new Dictionary<string, object?>
            {
                ["verifications"] = new[] { new Dictionary<string, object?> { ["sid"] = "HH" + new string('0', 32), ["tollfree_phone_number_sid"] = tollfreePhoneNumberSid, ["status"] = "TWILIO_APPROVED" } },
                ["meta"] = new Dictionary<string, object?> { ["page"] = 0, ["page_size"] = 20, ["key"] = "verifications", ["next_page_url"] = null },
            }));
        // Twilio Lookup v2 (line type intelligence), as lookups.twilio.com answers it.
        app.MapGet(TwilioLookup.SimulatorPath + "/v2/PhoneNumbers/{phoneNumber}", LookupPhoneNumber);

        // What the /simulator page drives: place calls, text from a phone, read a phone's screen.
        var control = app.MapGroup("/simulator/api").DisableAntiforgery();
        control.MapGet("/businesses", BusinessesAsync);
        control.MapPost("/call", CallAsync);
        control.MapPost("/sms", SmsAsync);
        control.MapGet("/calls", (SimulatorCarrier carrier) =>
            Results.Json(carrier.PlacedCalls().Take(20).Select(c => new { c.Sid, c.From, c.To, c.Heard, c.CreatedAt })));
        control.MapGet("/phone", (string number, SimulatorCarrier carrier) =>
            Results.Json(carrier.Conversation(number).Select(m => new { m.Sid, m.From, m.To, m.Body, m.Direction, m.Status, m.CreatedAt })));
    }

    private static bool Authorized(HttpRequest request, string accountSid, TwilioOptions twilio)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var auth) || auth.Scheme != "Basic" || auth.Parameter is null)
            return false;
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth.Parameter)); }
        catch (FormatException) { return false; }
        return decoded == $"{twilio.AccountSid}:{twilio.AuthToken}" && accountSid == twilio.AccountSid;
    }

    private static string SimulatorNumberSid(string e164) => "PN" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(e164)))[..32];

    private static IResult TwilioError(int status, int code, string message) =>
        Results.Json(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status }, statusCode: status);

    private static async Task<IResult> CreateMessageAsync(string accountSid, HttpRequest request, SimulatorCarrier carrier,
        IOptions<TwilioOptions> twilio, CancellationToken ct)
    {
        if (!Authorized(request, accountSid, twilio.Value)) return TwilioError(401, 20003, "Authenticate");
        if (!request.HasFormContentType) return TwilioError(400, 20001, "Expected a form body");
        var form = await request.ReadFormAsync(ct);
        var to = form.Get("To");
        var from = form.Get("From") ?? form.Get("MessagingServiceSid");
        var body = form.Get("Body");
        if (Phones.ParseCaller(to) is not { Kind: CallerIdKind.Number }) return TwilioError(400, 21211, $"The 'To' number {to} is not a valid phone number.");
        if (from is null) return TwilioError(400, 21603, "A 'From' phone number is required.");
        if (string.IsNullOrEmpty(body) || body.Length > 1600) return TwilioError(400, 21602, "Message body is required.");
        var callback = form.Get("StatusCallback");
        // The simulator calls back only into this app: its API must not become a way to make it post anywhere else.
        if (callback is not null && !carrier.IsOwnUrl(callback))
            return TwilioError(400, 21609, "The simulator only sends status callbacks to its own base URL.");
        if (carrier.IsBlocked(to!, from)) return TwilioError(400, 21610, "Attempt to send to unsubscribed recipient");
        var message = carrier.AcceptFromApi(from, to!, body, callback);
        return Results.Json(Resource(message, accountSid), statusCode: StatusCodes.Status201Created);
    }

    /// <summary>Twilio's call create with inline TwiML (the only form Recoverly uses); a Url would make the simulator fetch anywhere.</summary>
    private static async Task<IResult> CreateCallAsync(string accountSid, HttpRequest request, SimulatorCarrier carrier,
        IOptions<TwilioOptions> twilio, CancellationToken ct)
    {
        if (!Authorized(request, accountSid, twilio.Value)) return TwilioError(401, 20003, "Authenticate");
        if (!request.HasFormContentType) return TwilioError(400, 20001, "Expected a form body");
        var form = await request.ReadFormAsync(ct);
        var to = form.Get("To");
        var from = form.Get("From");
        var twiml = form.Get("Twiml");
        if (Phones.ParseCaller(to) is not { Kind: CallerIdKind.Number }) return TwilioError(400, 21201, $"The 'To' number {to} is not a valid phone number.");
        if (Phones.ParseCaller(from) is not { Kind: CallerIdKind.Number }) return TwilioError(400, 21212, $"The 'From' number {from} is not a valid phone number.");
        if (twiml is null) return TwilioError(400, 21205, "The simulator only places calls with inline Twiml.");
        if (carrier.AcceptCallFromApi(from!, to!, twiml) is not { } call) return TwilioError(400, 21205, "Twiml is not valid XML.");
        return Results.Json(new Dictionary<string, object?>
        {
            ["account_sid"] = accountSid, ["api_version"] = "2010-04-01", ["sid"] = call.Sid, ["to"] = call.To, ["from"] = call.From,
            ["status"] = "queued", ["direction"] = "outbound-api", ["date_created"] = SimulatorCarrier.Rfc2822(call.CreatedAt),
            ["uri"] = $"/2010-04-01/Accounts/{accountSid}/Calls/{call.Sid}.json",
        }, statusCode: StatusCodes.Status201Created);
    }

    private static IResult ListMessages(string accountSid, HttpRequest request, SimulatorCarrier carrier, IOptions<TwilioOptions> twilio)
    {
        if (!Authorized(request, accountSid, twilio.Value)) return TwilioError(401, 20003, "Authenticate");
        var messages = carrier.Find(request.Query["To"].FirstOrDefault(), request.Query["From"].FirstOrDefault()).Take(50).ToList();
        var uri = $"/2010-04-01/Accounts/{accountSid}/Messages.json";
        return Results.Json(new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => Resource(m, accountSid)).ToList(),
            ["end"] = Math.Max(0, messages.Count - 1), ["first_page_uri"] = uri + "?PageSize=50&Page=0", ["next_page_uri"] = null,
            ["page"] = 0, ["page_size"] = 50, ["previous_page_uri"] = null, ["start"] = 0, ["uri"] = uri,
        });
    }

    /// <summary>Line types the simulator page offers for the caller's phone (Twilio's <c>type</c> values).</summary>
    public static readonly string[] LineTypes = ["mobile", "landline", "fixedVoip", "nonFixedVoip", "tollFree"];

    private static IResult LookupPhoneNumber(string phoneNumber, HttpRequest request, SimulatorCarrier carrier, IOptions<TwilioOptions> twilio)
    {
        var o = twilio.Value;
        if (!Authorized(request, o.AccountSid ?? "", o)) return TwilioError(401, 20003, "Authenticate");
        if (Phones.ParseCaller(phoneNumber) is not { Kind: CallerIdKind.Number, E164: { } e164 } caller)
            return TwilioError(404, 20404, "The requested resource /PhoneNumbers/" + phoneNumber + " was not found");
        var type = carrier.LineTypeOf(e164);
        var fields = request.Query["Fields"].ToString();
        var carrierName = type switch { "mobile" => "Simulator Wireless", "landline" => "Simulator Telephone Co.", "tollFree" => null, _ => "Simulator VoIP" };
        return Results.Json(new Dictionary<string, object?>
        {
            ["calling_country_code"] = e164.StartsWith("+1", StringComparison.Ordinal) ? "1" : null,
            ["country_code"] = caller.RegionCode, ["phone_number"] = e164, ["national_format"] = Phones.FormatForDisplay(e164), ["valid"] = true,
            ["validation_errors"] = Array.Empty<string>(), ["caller_name"] = null, ["sim_swap"] = null, ["call_forwarding"] = null,
            ["line_status"] = null,
            ["line_type_intelligence"] = fields.Contains("line_type_intelligence", StringComparison.Ordinal)
                ? new Dictionary<string, object?>
                {
                    ["error_code"] = null, ["mobile_country_code"] = type == "mobile" ? "310" : null,
                    ["mobile_network_code"] = type == "mobile" ? "456" : null, ["carrier_name"] = carrierName, ["type"] = type,
                }
                : null,
            ["identity_match"] = null, ["reassigned_number"] = null, ["sms_pumping_risk"] = null, ["phone_number_quality_score"] = null,
            ["pre_fill"] = null, ["url"] = $"https://lookups.twilio.com/v2/PhoneNumbers/{e164}",
        });
    }

    private static Dictionary<string, object?> Resource(SimMessage m, string accountSid) => new()
    {
        ["account_sid"] = accountSid, ["api_version"] = "2010-04-01", ["body"] = m.Body,
        ["date_created"] = SimulatorCarrier.Rfc2822(m.CreatedAt), ["date_sent"] = null, ["date_updated"] = SimulatorCarrier.Rfc2822(m.CreatedAt),
        ["direction"] = "outbound-api", ["error_code"] = null, ["error_message"] = null, ["from"] = m.From, ["messaging_service_sid"] = null,
        ["num_media"] = "0", ["num_segments"] = "1", ["price"] = null, ["price_unit"] = "USD", ["sid"] = m.Sid, ["status"] = m.Status,
        ["subresource_uris"] = new Dictionary<string, string> { ["media"] = $"/2010-04-01/Accounts/{accountSid}/Messages/{m.Sid}/Media.json" },
        ["to"] = m.To, ["uri"] = $"/2010-04-01/Accounts/{accountSid}/Messages/{m.Sid}.json",
    };

    private static async Task<IResult> BusinessesAsync(RecoverlyDb db, CancellationToken ct)
    {
        var list = await db.Businesses.AsNoTracking().OrderBy(b => b.Id)
            .Select(b => new { b.Id, b.Name, b.BusinessPhone, b.OwnerPhone, Numbers = b.Numbers.Select(n => n.E164).ToList() })
            .ToListAsync(ct);
        return Results.Json(list);
    }

    /// <param name="LineType">What the simulator's line-type lookup will say about the caller (one of <see cref="LineTypes"/>); null: unchanged.</param>
    public sealed record CallRequest(string From, string To, string? LineType = null);

    public sealed record SmsRequest(string From, string To, string Body);

    private static async Task<IResult> CallAsync(CallRequest call, SimulatorCarrier carrier, CancellationToken ct)
    {
        var from = string.IsNullOrWhiteSpace(call.From) ? "anonymous"
            : Phones.NormalizeUserInput(call.From) ?? call.From.Trim();
        if (Phones.NormalizeUserInput(call.To) is not { } to) return Results.BadRequest(new { error = "Choose a business number to call." });
        if (call.LineType is { } lineType)
        {
            if (!LineTypes.Contains(lineType)) return Results.BadRequest(new { error = "Choose the caller's line: " + string.Join(", ", LineTypes) + "." });
            if (Phones.NormalizeUserInput(from) is { } caller) carrier.SetLineType(caller, lineType);
        }
        var twiml = await carrier.PlaceMissedCallAsync(from, to, ct);
        return Results.Json(new { from, to, twiml });
    }

    private static async Task<IResult> SmsAsync(SmsRequest sms, SimulatorCarrier carrier, CancellationToken ct)
    {
        if (Phones.NormalizeUserInput(sms.From) is not { } from) return Results.BadRequest(new { error = "The phone needs a valid number." });
        if (Phones.NormalizeUserInput(sms.To) is not { } to) return Results.BadRequest(new { error = "Choose a business number to text." });
        if (string.IsNullOrWhiteSpace(sms.Body) || sms.Body.Length > 1600) return Results.BadRequest(new { error = "Type a message (up to 1600 characters)." });
        var message = await carrier.SendFromPhoneAsync(from, to, sms.Body, ct);
        return Results.Json(new { message.Sid });
    }
}
