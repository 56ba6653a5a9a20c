using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Telephony;

/// <summary>
/// The Telnyx webhooks. Voice is a TeXML application (form posts, answered with TeXML — the choice is in
/// docs/decisions/0005-telnyx-voice-texml.md); messaging is JSON events. Each one: size and shape
/// (400) → Ed25519 signature (403) → parse (400) → ignore what is not ours → record in one transaction
/// → answer. None of them calls the send API.
/// </summary>
public static class TelnyxWebhooks
{
    public const string MessagingPath = "/telnyx/messaging";
    /// <summary>The TeXML application's voice fallback URL: Telnyx asks it when the voice URL failed.</summary>
    public const string VoiceFallbackPath = "/telnyx/voice/fallback";
    /// <summary>The messaging profile's webhook failover URL: Telnyx posts the same event there when the main URL failed.</summary>
    public const string MessagingFailoverPath = "/telnyx/messaging/failover";
    public const int MaxBodyBytes = 64 * 1024;
    private const string BodyKey = "telnyx.body";

    public static void MapTelnyxWebhooks(this IEndpointRouteBuilder app)
    {
        // Verified first; past that, whatever breaks inside a voice webhook still answers the caller with the apology in TeXML.
        var voice = app.MapGroup("/telnyx/voice").AddEndpointFilter((c, next) => VerifyAsync(c, next, json: false))
            .AddEndpointFilter<VoiceFailureFilter>().DisableAntiforgery();
        voice.MapPost("", IncomingCallAsync);
        voice.MapPost("/status", CallStatusAsync);
        voice.MapPost("/recording", RecordingAsync);
        voice.MapPost("/dial", DialEndedAsync);
        voice.MapPost("/screen", ScreenAsync);
        voice.MapPost("/screen/answer", ScreenAnswerAsync);
        voice.MapPost("/fallback", VoiceFallback);
        app.MapPost(MessagingPath, MessagingAsync).AddEndpointFilter((c, next) => VerifyAsync(c, next, json: true)).DisableAntiforgery();
        // A second chance at recording the event: the handler is the same, and replays change nothing (docs/webhooks.md).
        app.MapPost(MessagingFailoverPath, MessagingFailoverAsync).AddEndpointFilter((c, next) => VerifyAsync(c, next, json: true)).DisableAntiforgery();
    }

    /// <summary>A Telnyx id (messages are UUIDs): letters, digits and dashes.</summary>
    public static bool LooksLikeId(string? id) =>
        id is { Length: >= 8 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A TeXML CallSid such as <c>v3:9X2vxPDF…-aiQ</c>; it must fit the CallSid column (64).</summary>
    public static bool LooksLikeCallSid(string? sid) =>
        sid is { Length: >= 8 and <= 64 } && sid.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ':');

    private static IResult Bad(string problem) => Results.Text(problem, statusCode: StatusCodes.Status400BadRequest);

    private static IResult Texml(XElement response) =>
        Results.Content(new XDeclaration("1.0", "UTF-8", null) + response.ToString(SaveOptions.DisableFormatting), "text/xml");

    /// <summary>
    /// Reads the raw body (at most 64 KiB) and checks Telnyx's signature over it before anything is parsed;
    /// the verified bytes are what the handler then reads.
    /// </summary>
    private static async ValueTask<object?> VerifyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, bool json)
    {
        var http = context.HttpContext;
        var request = http.Request;
        var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TelnyxWebhooks));
        if (request.ContentLength is > MaxBodyBytes) return Bad("Request body too large.");
        if (json ? !request.HasJsonContentType() : !request.HasFormContentType)
            return Bad(json ? "Expected an application/json body." : "Expected an application/x-www-form-urlencoded body.");

        var body = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxBodyBytes) return Bad("Request body too large.");
            body.Write(buffer, 0, read);
        }
        var bytes = body.ToArray();

        var key = http.RequestServices.GetRequiredService<TelnyxWebhookKey>();
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var check = TelnyxSignature.Verify(key.Key, request.Headers[TelnyxSignature.TimestampHeader].ToString(),
            request.Headers[TelnyxSignature.SignatureHeader].ToString(), bytes, now);
        if (check != SignatureCheck.Valid)
        {
            log.LogWarning("Rejected Telnyx webhook {Path}: signature {Check}", request.Path, check);
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        http.Items[BodyKey] = bytes;
        request.Body = new MemoryStream(bytes);
        return await next(context);
    }

    private static async Task<IFormCollection?> FormAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await request.ReadFormAsync(new FormOptions { ValueLengthLimit = MaxBodyBytes, KeyLengthLimit = 256, ValueCountLimit = 200 }, ct);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return null;
        }
    }

    // ---- Voice: a TeXML application whose voice URL is /telnyx/voice ----

    private static async Task<IResult> IncomingCallAsync(HttpRequest request, MissedCallRecorder recorder, PublicUrls urls,
        IOptions<RecoverlyOptions> options, IDataProtectionProvider protection, CancellationToken ct)
    {
        if (await FormAsync(request, ct) is not { } form) return Bad("Malformed form body.");
        var callSid = form.Get("CallSid");
        var to = form.Get("To");
        if (!LooksLikeCallSid(callSid)) return Bad("CallSid is missing or malformed.");
        if (to is null) return Bad("To is missing.");
        if (form.Get("Direction") is { } direction && !direction.StartsWith("inbound", StringComparison.OrdinalIgnoreCase))
            return Texml(new XElement("Response")); // legs we placed ourselves are not missed calls

        var incoming = Incoming(form, callSid!, to);
        // One query answers both "whose number is this?" and everything the outcome depends on, as for Twilio.
        var lookup = await recorder.LookupAsync(incoming, ct);
        if (lookup is null) return Texml(new XElement("Response", new XElement("Reject")));
        var business = lookup.Business;
        // Only a verified line in an allowed country is ever dialled (docs/product/call-through.md); otherwise the call is missed.
        if (business.DialsBusinessLine && LineVerification.LineProblem(business.BusinessPhone, options.Value.AllowedRegions) is null)
        {
            // The Recoverly number is the published number: ring the business line first; the dial's action request decides "missed".
            var screen = ScreenToken(protection, business.Id, callSid!);
            return Texml(new XElement("Response",
                new XElement("Dial",
                    new XAttribute("action", urls.For(DialPath)),
                    new XAttribute("timeout", WebhookEndpoints.CallThroughRingSeconds),
                    new XElement("Number", new XAttribute("url", urls.For(ScreenPath + "?s=" + screen)), business.BusinessPhone))));
        }
        var recorded = await recorder.RecordAsync(lookup, incoming, ct);
        return Texml(Greeting(recorded.Business, recorded.Call.Outcome, urls, recorded.TextBackHeldUntil is not null));
    }

    private static IncomingCall Incoming(IFormCollection form, string callSid, string to) =>
        new(callSid, form.Get("From") ?? "", to, null, form.Get("ForwardedFrom"), CallerName(form));

    public const string DialPath = "/telnyx/voice/dial";
    public const string ScreenPath = "/telnyx/voice/screen";
    public const string ScreenAnswerPath = "/telnyx/voice/screen/answer";

    /// <summary>
    /// Call-through: the dial ended (its action request, TwiML-style <c>DialCallStatus</c>). Answered only when someone on the
    /// business line pressed 1 at the screen; no-answer, busy, failed, canceled, or "completed" by a voicemail that pressed
    /// nothing is a missed call, recorded once per CallSid however often Telnyx repeats the request.
    /// </summary>
    private static async Task<IResult> DialEndedAsync(HttpRequest request, MissedCallRecorder recorder, RecoverlyDb db, PublicUrls urls,
        CancellationToken ct)
    {
        if (await FormAsync(request, ct) is not { } form) return Bad("Malformed form body.");
        var callSid = form.Get("CallSid");
        var to = form.Get("To");
        if (!LooksLikeCallSid(callSid)) return Bad("CallSid is missing or malformed.");
        if (to is null) return Bad("To is missing.");
        var status = form.Get("DialCallStatus");
        if (status is { Length: > 32 }) return Bad("DialCallStatus is malformed.");
        var accepted = await CallScreening.AcceptedAsync(db, callSid!, ct);
        // Without a dial status the press alone decides: our own record, never a guess at Telnyx's words (docs/decisions/0005-telnyx-voice-texml.md).
        var answered = status is null ? accepted : CallScreening.Answered(status, form.Get("DialBridged"), accepted);
        if (answered) return Texml(new XElement("Response", new XElement("Hangup")));
        var recorded = await recorder.RecordAsync(Incoming(form, callSid!, to), ct);
        return recorded is null
            ? Texml(new XElement("Response", new XElement("Reject")))
            : Texml(Greeting(recorded.Business, recorded.Call.Outcome, urls, recorded.TextBackHeldUntil is not null));
    }

    /// <summary>
    /// The screen's key: the business and the caller's CallSid, sealed with the app's data-protection keys. Telnyx signs the
    /// body, not the URL, so without the seal a replayed body could press 1 for another call.
    /// </summary>
    private static string ScreenToken(IDataProtectionProvider protection, long businessId, string callSid) =>
        protection.CreateProtector(ScreenPurpose).Protect($"{businessId.ToString(CultureInfo.InvariantCulture)}|{callSid}");

    private const string ScreenPurpose = "Recoverly.Telnyx.CallScreen";

    private static bool ScreenQuery(HttpRequest request, IDataProtectionProvider protection, out long businessId, out string callSid)
    {
        businessId = 0;
        callSid = "";
        var token = request.Query["s"].ToString();
        if (token.Length is 0 or > 1024) return false;
        string plain;
        try
        {
            plain = protection.CreateProtector(ScreenPurpose).Unprotect(token);
        }
        catch (CryptographicException)
        {
            return false;
        }
        var parts = plain.Split('|', 2);
        if (parts.Length != 2 || !LooksLikeCallSid(parts[1])) return false;
        callSid = parts[1];
        return long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out businessId);
    }

    /// <summary>
    /// The whisper the business line hears before the caller is connected (<c>&lt;Number url&gt;</c>): press 1 to take the
    /// call. Nothing pressed (a carrier voicemail) ends in <c>&lt;Hangup/&gt;</c>, so that leg is never bridged.
    /// </summary>
    private static async Task<IResult> ScreenAsync(HttpRequest request, RecoverlyDb db, PublicUrls urls, IDataProtectionProvider protection,
        CancellationToken ct)
    {
        if (await FormAsync(request, ct) is null) return Bad("Malformed form body.");
        if (!ScreenQuery(request, protection, out var businessId, out var callSid)) return Bad("The screen's key (s) is missing or not ours.");
        var name = await db.Businesses.AsNoTracking().Where(b => b.Id == businessId).Select(b => b.Name).FirstOrDefaultAsync(ct);
        if (name is null) return Texml(new XElement("Response", new XElement("Hangup")));
        return Texml(new XElement("Response",
            new XElement("Gather",
                new XAttribute("action", urls.For(ScreenAnswerPath + "?s=" + ScreenToken(protection, businessId, callSid))),
                new XAttribute("numDigits", 1),
                new XAttribute("timeout", CallScreening.PressSeconds),
                new XElement("Say", CallScreening.Prompt(name))),
            new XElement("Hangup")));
    }

    /// <summary>The key the business line pressed (<c>Digits</c>): 1 records the acceptance and lets the bridge happen; anything else hangs up.</summary>
    private static async Task<IResult> ScreenAnswerAsync(HttpRequest request, RecoverlyDb db, TimeProvider time, IDataProtectionProvider protection,
        CancellationToken ct)
    {
        if (await FormAsync(request, ct) is not { } form) return Bad("Malformed form body.");
        if (!ScreenQuery(request, protection, out var businessId, out var callSid)) return Bad("The screen's key (s) is missing or not ours.");
        if (form.Get("Digits") != "1") return Texml(new XElement("Response", new XElement("Hangup")));
        if (!await db.Businesses.AnyAsync(b => b.Id == businessId, ct)) return Texml(new XElement("Response", new XElement("Hangup")));
        await CallScreening.AcceptAsync(db, callSid, businessId, time.GetUtcNow().UtcDateTime, ct);
        // An empty answer ends the whisper: Telnyx then connects the caller.
        return Texml(new XElement("Response"));
    }

    /// <summary>
    /// The caller's CNAM name: Telnyx's TeXML requests carry it as <c>CallerId</c> (a Twilio-style <c>CallerName</c> wins when
    /// present). Without a name Telnyx may put the number there, which is no name at all.
    /// </summary>
    public static string? CallerName(IFormCollection form)
    {
        var name = form.Get("CallerName") is { Length: > 0 } twilioStyle ? twilioStyle : form.Get("CallerId");
        return name is null || Phones.ParseCaller(name).Kind == CallerIdKind.Number || name.TrimStart('+').All(char.IsAsciiDigit) ? null : name;
    }

    /// <summary>The greeting as TeXML: the same words and choices as the Twilio flow (docs/product/missed-calls.md).</summary>
    public static XElement Greeting(Business business, CallOutcome outcome, PublicUrls urls, bool textInTheMorning = false)
    {
        var response = new XElement("Response");
        if (business.Greeting == GreetingKind.RejectBusy)
        {
            response.Add(new XElement("Reject", new XAttribute("reason", "busy")));
            return response;
        }
        response.Add(new XElement("Say", WebhookEndpoints.GreetingWords(business, outcome, textInTheMorning)));
        if (business.Greeting == GreetingKind.Voicemail)
        {
            var callback = urls.For("/telnyx/voice/recording");
            response.Add(new XElement("Record",
                new XAttribute("action", callback),
                new XAttribute("maxLength", WebhookEndpoints.VoicemailSeconds),
                new XAttribute("playBeep", "true"),
                // Its documented request carries RecordingSid, the id the player and the deletion need (docs/webhooks.md).
                new XAttribute("recordingStatusCallback", callback),
                new XAttribute("transcription", "true"),
                new XAttribute("transcriptionCallback", callback)));
            return response;
        }
        response.Add(new XElement("Hangup"));
        return response;
    }

    /// <summary>
    /// The voice fallback: no database work (whatever broke the voice URL may still be broken), the same apology as on Twilio,
    /// and the CallSid in the log for the operator (docs/webhooks.md).
    /// </summary>
    private static async Task<IResult> VoiceFallback(HttpRequest request, ILoggerFactory logs, CancellationToken ct)
    {
        var form = await FormAsync(request, ct);
        var callSid = form?.Get("CallSid");
        logs.CreateLogger(typeof(TelnyxWebhooks)).LogWarning("Telnyx voice fallback for call {CallSid}; the caller heard the apology",
            LooksLikeCallSid(callSid) ? callSid : "(none)");
        return Texml(new XElement("Response", new XElement("Say", WebhookEndpoints.SorryWords), new XElement("Hangup")));
    }

    private static async Task<IResult> MessagingFailoverAsync(HttpContext http, InboundSmsHandler inbound, StatusCallbackHandler statuses,
        ILoggerFactory logs, CancellationToken ct)
    {
        logs.CreateLogger(typeof(TelnyxWebhooks)).LogWarning("Telnyx used the messaging failover URL: the main webhook URL failed");
        return await MessagingAsync(http, inbound, statuses, ct);
    }

    private static async Task<IResult> CallStatusAsync(HttpRequest request, RecoverlyDb db, CancellationToken ct)
    {
        if (await FormAsync(request, ct) is not { } form) return Bad("Malformed form body.");
        var callSid = form.Get("CallSid");
        var status = form.Get("CallStatus");
        if (!LooksLikeCallSid(callSid) || status is null) return Bad("CallSid and CallStatus are required.");
        int? duration = int.TryParse(form.Get("CallDuration"), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : null;
        await WebhookEndpoints.SaveCallStatusAsync(db, callSid!, status, duration, ct);
        return Texml(new XElement("Response"));
    }

    /// <summary>
    /// The Record action, its recording status callback and its transcription callback all land here. Only the recording's id
    /// is kept (as <see cref="TelnyxRecordings.StoredUrl"/>): Telnyx's RecordingUrl is a file link that expires ten minutes after
    /// the call, useless to play later and a credential while it lasts.
    /// </summary>
    private static async Task<IResult> RecordingAsync(HttpRequest request, RecoverlyDb db, PublicUrls urls, TimeProvider time,
        Dispatch.DispatchSignal signal, CancellationToken ct)
    {
        if (await FormAsync(request, ct) is not { } form) return Bad("Malformed form body.");
        var callSid = form.Get("CallSid");
        if (!LooksLikeCallSid(callSid)) return Bad("CallSid is missing or malformed.");
        var recordingSid = form.Get("RecordingSid");
        var text = form.Get("TranscriptionText");
        var status = form.Get("TranscriptionStatus");
        if (recordingSid is { Length: > 0 } && !Guid.TryParseExact(recordingSid, "D", out _)) return Bad("RecordingSid is malformed.");
        if (text is { Length: > 4000 } || status is { Length: > 20 }) return Bad("Recording fields are too long.");
        var url = recordingSid is { Length: > 0 } ? TelnyxRecordings.StoredUrl(Guid.ParseExact(recordingSid, "D")) : null;
        if (await WebhookEndpoints.SaveRecordingAsync(db, callSid!, url, text, status, urls, time.GetUtcNow().UtcDateTime, ct)) signal.Notify();
        return Texml(new XElement("Response", new XElement("Hangup")));
    }

    // ---- Messaging: the messaging profile's webhook URL, and each sent message's webhook_url ----

    private static async Task<IResult> MessagingAsync(HttpContext http, InboundSmsHandler inbound, StatusCallbackHandler statuses, CancellationToken ct)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse((byte[])http.Items[BodyKey]!, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException)
        {
            return Bad("Malformed JSON body.");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                return Bad("Expected a Telnyx event: {\"data\": {…}}.");
            if (TelnyxGateway.Str(data, "event_type") is not { } eventType) return Bad("data.event_type is missing.");
            if (!data.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object) return Bad("data.payload is missing.");
            return eventType switch
            {
                "message.received" => await ReceivedAsync(payload, inbound, ct),
                "message.sent" or "message.finalized" => await StatusAsync(payload, statuses, ct),
                _ => Results.Ok(), // other events (link clicks, …) are not ours to record
            };
        }
    }

    private static async Task<IResult> ReceivedAsync(JsonElement payload, InboundSmsHandler inbound, CancellationToken ct)
    {
        var id = TelnyxGateway.Str(payload, "id");
        if (!LooksLikeId(id)) return Bad("payload.id is missing or malformed.");
        var from = payload.TryGetProperty("from", out var f) ? TelnyxGateway.Str(f, "phone_number") : null;
        var to = TelnyxGateway.Array(payload, "to").Select(t => TelnyxGateway.Str(t, "phone_number")).FirstOrDefault();
        if (from is null || to is null) return Bad("payload.from.phone_number and payload.to[0].phone_number are required.");
        var text = TelnyxGateway.Str(payload, "text") ?? "";
        if (text.Length > 1600) return Bad("payload.text is longer than 1600 characters.");
        var answered = TelnyxKeywords.AnsweredByTelnyx(text, TelnyxGateway.Str(payload, "autoresponse_type"));
        await inbound.HandleAsync(new IncomingSms(id!, from, to, text, answered, TelnyxGateway.Str(payload, "autoresponse_type")), ct);
        return Results.Ok();
    }

    private static async Task<IResult> StatusAsync(JsonElement payload, StatusCallbackHandler statuses, CancellationToken ct)
    {
        var id = TelnyxGateway.Str(payload, "id");
        if (!LooksLikeId(id)) return Bad("payload.id is missing or malformed.");
        var status = TelnyxGateway.Array(payload, "to").Select(t => TelnyxGateway.Str(t, "status")).FirstOrDefault();
        if (status is null || DeliveryStatus.Map(status) is null) return Bad("payload.to[0].status is missing or unknown.");
        var code = TelnyxGateway.Array(payload, "errors").Select(TelnyxGateway.Code).FirstOrDefault(c => c is not null);
        await statuses.HandleAsync(id!, status, code, ct);
        return Results.Ok();
    }
}

/// <summary>The account's webhook public key, imported once from <c>Telnyx:PublicKey</c>; null when unset or malformed (every webhook then gets 403).</summary>
public sealed class TelnyxWebhookKey(IOptions<TelnyxOptions> options)
{
    private readonly Lazy<NSec.Cryptography.PublicKey?> _key = new(() => TelnyxSignature.Import(options.Value.PublicKey));

    public NSec.Cryptography.PublicKey? Key => _key.Value;
}
