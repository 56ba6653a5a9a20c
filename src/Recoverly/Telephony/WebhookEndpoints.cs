using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Hosting;
using Recoverly.Owners;
using Recoverly.Texts;
using Twilio.TwiML;
using Twilio.TwiML.Voice;

namespace Recoverly.Telephony;

/// <summary>
/// The Twilio webhooks (README, "How it works"). Each one: verify (filter) → parse → ignore what is not ours →
/// record in one transaction → answer TwiML. None of them calls the send API.
/// </summary>
public static class WebhookEndpoints
{
    public static void MapTwilioWebhooks(this IEndpointRouteBuilder app)
    {
        var twilio = app.MapGroup("/twilio").AddEndpointFilter(RecoverlyMetrics.TimeWebhookAsync).AddEndpointFilter<TwilioSignatureFilter>()
            .AddEndpointFilter<WebhookDatabaseFailureFilter>().DisableAntiforgery();
        // Twilio executes the answers of these as call instructions: every failure in them still answers TwiML.
        twilio.MapPost("/voice", IncomingCallAsync).AddEndpointFilter<VoiceFailureFilter>();
        twilio.MapPost("/voice/recording", RecordingAsync).AddEndpointFilter<VoiceFailureFilter>();
        twilio.MapPost("/voice/dial-complete", DialCompleteAsync).AddEndpointFilter<VoiceFailureFilter>();
        twilio.MapPost("/voice/fallback", VoiceFallback).AddEndpointFilter<VoiceFailureFilter>();
        twilio.MapPost("/voice/status", CallStatusAsync);
        twilio.MapPost("/voice/screen", ScreenAsync).AddEndpointFilter<VoiceFailureFilter>();
        twilio.MapPost("/voice/screen/answer", ScreenAnswerAsync).AddEndpointFilter<VoiceFailureFilter>();
        twilio.MapPost("/sms", IncomingSmsAsync);
        twilio.MapPost("/sms/status", MessageStatusAsync);
        twilio.MapPost("/sms/fallback", SmsFallback);
    }

    /// <summary>Twilio asks the number's Voice Fallback URL when the voice URL failed (error, timeout, bad TwiML).</summary>
    public const string VoiceFallbackPath = "/twilio/voice/fallback";

    /// <summary>Twilio asks the number's SMS Fallback URL when the SMS URL failed.</summary>
    public const string SmsFallbackPath = "/twilio/sms/fallback";

    /// <summary>What a caller hears when Recoverly cannot handle the call: polite words and a hang-up, never the provider's error recording.</summary>
    public const string SorryWords = "Sorry we missed your call. We can't take a message right now. Please call again in a little while.";

    /// <summary>The answer for a call Recoverly could not handle; needs no database.</summary>
    public static string SorryTwiml() => new VoiceResponse().Say(SorryWords).Hangup().ToString();

    /// <summary>
    /// The voice fallback: no database work (whatever broke the main URL may still be broken), just the apology and the
    /// provider's error code in the log for the operator (docs/webhooks.md).
    /// </summary>
    private static IResult VoiceFallback(HttpRequest request, ILoggerFactory logs)
    {
        var form = request.Form;
        logs.CreateLogger(typeof(WebhookEndpoints)).LogWarning("Voice fallback for call {CallSid}: Twilio error {ErrorCode}; the caller heard the apology",
            Sid(form.Get("CallSid"), "CA"), Code(form.Get("ErrorCode")));
        return Results.Content(SorryTwiml(), "text/xml");
    }

    /// <summary>The SMS fallback: acknowledged with empty TwiML; the text was not recorded, so the operator is told which one (docs/webhooks.md).</summary>
    private static IResult SmsFallback(HttpRequest request, ILoggerFactory logs)
    {
        var form = request.Form;
        logs.CreateLogger(typeof(WebhookEndpoints)).LogError(
            "SMS fallback for message {MessageSid}: Twilio error {ErrorCode}; the text was not recorded, look it up in Twilio's message log",
            Sid(form.Get("MessageSid") ?? form.Get("SmsSid"), "SM"), Code(form.Get("ErrorCode")));
        return EmptyMessaging();
    }

    private static string Sid(string? sid, string prefix) => TwilioForm.LooksLikeSid(sid, prefix) ? sid! : "(none)";

    private static string Code(string? code) => int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var c)
        ? c.ToString(CultureInfo.InvariantCulture) : "(none)";

    private static IResult Twiml(TwiML twiml) => Results.Content(twiml.ToString(), "text/xml");

    private static IResult EmptyMessaging() => Twiml(new MessagingResponse());

    private static IResult Bad(string problem) => Results.Text(problem, statusCode: StatusCodes.Status400BadRequest);

    private static async Task<IResult> IncomingCallAsync(HttpRequest request, MissedCallRecorder recorder, PublicUrls urls,
        IOptions<RecoverlyOptions> options, CancellationToken ct)
    {
        var form = request.Form;
        var callSid = form.Get("CallSid");
        var to = form.Get("To");
        if (!TwilioForm.LooksLikeSid(callSid, "CA")) return Bad("CallSid is missing or malformed.");
        if (to is null) return Bad("To is missing.");
        if (form.Get("Direction") is { } direction && !direction.StartsWith("inbound", StringComparison.OrdinalIgnoreCase))
            return Twiml(new VoiceResponse()); // legs we placed ourselves are not missed calls

        var incoming = new IncomingCall(callSid!, form.Get("From") ?? "", to, form.Get("StirVerstat"), form.Get("ForwardedFrom"), form.Get("CallerName"));
        // One query answers both "whose number is this?" and everything the outcome depends on.
        var lookup = await recorder.LookupAsync(incoming, ct);
        if (lookup is null) return Twiml(new VoiceResponse().Reject());
        var business = lookup.Business;
        // Only a verified line in an allowed country is ever dialled (docs/product/call-through.md); otherwise the call is missed.
        if (business.DialsBusinessLine && LineVerification.LineProblem(business.BusinessPhone, options.Value.AllowedRegions) is null)
        {
            // The Recoverly number is the published number: ring the business line first; the Dial action decides "missed".
            var dial = new Dial(action: new Uri(urls.For("/twilio/voice/dial-complete")), timeout: CallThroughRingSeconds);
            dial.Number(new Twilio.Types.PhoneNumber(business.BusinessPhone), url: new Uri(urls.For(ScreenPath("/twilio/voice/screen", business.Id, callSid!))));
            return Twiml(new VoiceResponse().Append(dial));
        }
        var recorded = await recorder.RecordAsync(lookup, incoming, ct);
        return Twiml(Greeting(recorded.Business, recorded.Call.Outcome, urls, recorded.TextBackHeldUntil is not null));
    }

    /// <summary>Seconds the business line rings in call-through mode; shorter than most carrier voicemail timers (~25 s).</summary>
    public const int CallThroughRingSeconds = 18;

    private static async Task<IResult> RecordMissedAsync(IFormCollection form, string callSid, string to, MissedCallRecorder recorder,
        PublicUrls urls, CancellationToken ct)
    {
        var incoming = new IncomingCall(callSid, form.Get("From") ?? "", to, form.Get("StirVerstat"), form.Get("ForwardedFrom"), form.Get("CallerName"));
        var recorded = await recorder.RecordAsync(incoming, ct);
        return recorded is null
            ? Twiml(new VoiceResponse().Reject())
            : Twiml(Greeting(recorded.Business, recorded.Call.Outcome, urls, recorded.TextBackHeldUntil is not null));
    }

    /// <summary>What the caller hears once the call reached Recoverly (it was missed).</summary>
    public static VoiceResponse Greeting(Business business, CallOutcome outcome, PublicUrls urls, bool textInTheMorning = false)
    {
        var response = new VoiceResponse();
        if (business.Greeting == GreetingKind.RejectBusy) return response.Reject(reason: Reject.ReasonEnum.Busy);
        if (business.Greeting == GreetingKind.Voicemail)
        {
            var callback = new Uri(urls.For("/twilio/voice/recording"));
            return response
                .Say(GreetingWords(business, outcome, textInTheMorning))
                .Record(action: callback, maxLength: VoicemailSeconds, transcribe: true, transcribeCallback: callback, playBeep: true);
        }
        return response.Say(GreetingWords(business, outcome, textInTheMorning)).Hangup();
    }

    /// <summary>Longest voicemail a caller may leave, in seconds.</summary>
    public const int VoicemailSeconds = 120;

    /// <summary>The words of the greeting, whichever provider speaks them.</summary>
    public static string GreetingWords(Business business, CallOutcome outcome, bool textInTheMorning = false)
    {
        var promise = outcome is CallOutcome.Texted && textInTheMorning ? "We'll text you in the morning."
            : outcome is CallOutcome.Texted or CallOutcome.Repeat ? "We'll text you right away."
            : "We'll get back to you as soon as we can.";
        var words = $"Sorry we missed your call at {business.Name}. {promise}";
        return business.Greeting == GreetingKind.Voicemail ? words + " You can also leave a message after the tone." : words;
    }

    private static async Task<IResult> CallStatusAsync(HttpRequest request, RecoverlyDb db, CancellationToken ct)
    {
        var form = request.Form;
        var callSid = form.Get("CallSid");
        var status = form.Get("CallStatus");
        if (!TwilioForm.LooksLikeSid(callSid, "CA") || status is null) return Bad("CallSid and CallStatus are required.");
        int? duration = int.TryParse(form.Get("CallDuration"), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : null;
        await SaveCallStatusAsync(db, callSid!, status, duration, ct);
        return Twiml(new VoiceResponse());
    }

    /// <summary>A recorded call's final status and length; a status for a call we never recorded changes nothing.</summary>
    public static async System.Threading.Tasks.Task SaveCallStatusAsync(RecoverlyDb db, string callSid, string status, int? duration, CancellationToken ct)
    {
        using (await db.EnterWriteGateAsync(ct))
        {
            await db.MissedCalls.Where(c => c.CallSid == callSid)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.CallStatus, status.Length <= 20 ? status : status[..20])
                    .SetProperty(c => c.DurationSeconds, c => duration ?? c.DurationSeconds), ct);
        }
    }

    private static async Task<IResult> RecordingAsync(HttpRequest request, RecoverlyDb db, PublicUrls urls, TimeProvider time, DispatchSignal signal,
        CancellationToken ct)
    {
        var form = request.Form;
        var callSid = form.Get("CallSid");
        if (!TwilioForm.LooksLikeSid(callSid, "CA")) return Bad("CallSid is missing or malformed.");
        var url = form.Get("RecordingUrl");
        var text = form.Get("TranscriptionText");
        var status = form.Get("TranscriptionStatus");
        if (url is { Length: > 500 } || text is { Length: > 4000 } || status is { Length: > 20 }) return Bad("Recording fields are too long.");
        if (await SaveRecordingAsync(db, callSid!, url, text, status, urls, time.GetUtcNow().UtcDateTime, ct)) signal.Notify();
        return Twiml(new VoiceResponse().Hangup());
    }

    /// <summary>
    /// A voicemail's recording URL and transcription, each kept once it arrives. The transcription callback (its status
    /// "completed" or "failed") also tells the owner, once per call however often it is replayed
    /// (<see cref="OwnerAlerts.VoicemailAsync"/>). True when an alert may have been queued.
    /// </summary>
    public static async System.Threading.Tasks.Task<bool> SaveRecordingAsync(RecoverlyDb db, string callSid, string? url, string? text,
        string? transcriptionStatus, PublicUrls urls, DateTime now, CancellationToken ct)
    {
        var settled = transcriptionStatus?.Trim().ToLowerInvariant() switch
        {
            OwnerAlerts.TranscriptionCompleted when !string.IsNullOrWhiteSpace(text) => OwnerAlerts.TranscriptionCompleted,
            OwnerAlerts.TranscriptionCompleted or OwnerAlerts.TranscriptionFailed => OwnerAlerts.TranscriptionFailed,
            _ => null, // the Record action's own callback, or a status still in progress
        };
        await using var tx = await db.BeginWriteAsync(ct);
        await db.MissedCalls.Where(c => c.CallSid == callSid)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.RecordingUrl, c => url ?? c.RecordingUrl)
                .SetProperty(c => c.Transcription, c => text ?? c.Transcription), ct);
        // Claimed once: a replayed or second transcription callback changes nothing more.
        if (settled is null || await db.MissedCalls.Where(c => c.CallSid == callSid && c.TranscriptionStatus == null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.TranscriptionStatus, settled), ct) == 0)
        {
            await tx.CommitAsync(ct);
            return false;
        }
        var call = await db.MissedCalls.AsNoTracking().FirstAsync(c => c.CallSid == callSid, ct);
        var business = await db.Businesses.AsNoTracking().FirstAsync(b => b.Id == call.BusinessId, ct);
        await OwnerAlerts.VoicemailAsync(db, business, call, settled == OwnerAlerts.TranscriptionCompleted ? call.Transcription : null, urls, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Call-through mode: the dial ended. Answered only when someone on the business line pressed 1 at the screen; a
    /// voicemail that picked up ("completed", nothing pressed), no-answer, busy, failed or canceled is a missed call.
    /// </summary>
    private static async Task<IResult> DialCompleteAsync(HttpRequest request, MissedCallRecorder recorder, RecoverlyDb db, PublicUrls urls,
        CancellationToken ct)
    {
        var form = request.Form;
        var callSid = form.Get("CallSid");
        var to = form.Get("To");
        var status = form.Get("DialCallStatus");
        if (!TwilioForm.LooksLikeSid(callSid, "CA")) return Bad("CallSid is missing or malformed.");
        if (to is null || status is null) return Bad("To and DialCallStatus are required.");
        var answered = CallScreening.Answered(status, form.Get("DialBridged"), await CallScreening.AcceptedAsync(db, callSid!, ct));
        return answered
            ? Twiml(new VoiceResponse().Hangup())
            : await RecordMissedAsync(form, callSid!, to, recorder, urls, ct);
    }

    /// <summary>The screen's URL for one call: the business and the caller's CallSid travel in the signed query.</summary>
    private static string ScreenPath(string path, long businessId, string callSid) =>
        $"{path}?business={businessId.ToString(CultureInfo.InvariantCulture)}&call={Uri.EscapeDataString(callSid)}";

    private static bool ScreenQuery(HttpRequest request, out long businessId, out string callSid)
    {
        callSid = request.Query["call"].ToString();
        return long.TryParse(request.Query["business"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out businessId)
               && TwilioForm.LooksLikeSid(callSid, "CA");
    }

    /// <summary>
    /// The whisper the business line hears before the caller is connected (<c>&lt;Number url&gt;</c>): press 1 to take the
    /// call. Nothing pressed (a carrier voicemail) ends in <c>&lt;Hangup/&gt;</c>, so that leg is never bridged.
    /// </summary>
    private static async Task<IResult> ScreenAsync(HttpRequest request, RecoverlyDb db, PublicUrls urls, CancellationToken ct)
    {
        if (!ScreenQuery(request, out var businessId, out var callSid)) return Bad("business and call are required in the query.");
        var name = await db.Businesses.AsNoTracking().Where(b => b.Id == businessId).Select(b => b.Name).FirstOrDefaultAsync(ct);
        if (name is null) return Twiml(new VoiceResponse().Hangup());
        var gather = new Gather(numDigits: 1, timeout: CallScreening.PressSeconds,
            action: new Uri(urls.For(ScreenPath("/twilio/voice/screen/answer", businessId, callSid))));
        gather.Say(CallScreening.Prompt(name));
        return Twiml(new VoiceResponse().Append(gather).Hangup());
    }

    /// <summary>The key the business line pressed: 1 records the acceptance and lets the bridge happen; anything else hangs up.</summary>
    private static async Task<IResult> ScreenAnswerAsync(HttpRequest request, RecoverlyDb db, TimeProvider time, CancellationToken ct)
    {
        if (!ScreenQuery(request, out var businessId, out var callSid)) return Bad("business and call are required in the query.");
        if (request.Form.Get("Digits") != "1") return Twiml(new VoiceResponse().Hangup());
        if (!await db.Businesses.AnyAsync(b => b.Id == businessId, ct)) return Twiml(new VoiceResponse().Hangup());
        await CallScreening.AcceptAsync(db, callSid, businessId, time.GetUtcNow().UtcDateTime, ct);
        // An empty answer ends the whisper: Twilio then connects the caller.
        return Twiml(new VoiceResponse());
    }

    private static async Task<IResult> IncomingSmsAsync(HttpRequest request, InboundSmsHandler handler, IOptions<TwilioOptions> twilio, CancellationToken ct)
    {
        var form = request.Form;
        var sid = form.Get("MessageSid") ?? form.Get("SmsSid");
        var from = form.Get("From");
        var to = form.Get("To");
        if (!TwilioForm.LooksLikeSid(sid, "SM") && !TwilioForm.LooksLikeSid(sid, "MM")) return Bad("MessageSid is missing or malformed.");
        if (from is null || to is null) return Bad("From and To are required.");
        var body = form.Get("Body") ?? "";
        if (body.Length > 1600) return Bad("Body is longer than 1600 characters.");
        // OptOutType means Twilio answered the keyword itself; with KeywordReplies=Recoverly that is a setting to fix.
        var reported = form.Get("OptOutType");
        var mode = twilio.Value.KeywordReplies;
        var answered = ProviderKeywords.AnsweredByProvider(ProviderKeywords.Twilio, body, reported, mode);
        await handler.HandleAsync(new IncomingSms(sid!, from, to, body, answered, reported,
            ProviderAnsweredUnexpectedly: mode == KeywordReplies.Recoverly && !string.IsNullOrWhiteSpace(reported)), ct);
        return EmptyMessaging();
    }

    private static async Task<IResult> MessageStatusAsync(HttpRequest request, StatusCallbackHandler handler, CancellationToken ct)
    {
        var form = request.Form;
        var sid = form.Get("MessageSid") ?? form.Get("SmsSid");
        var status = form.Get("MessageStatus") ?? form.Get("SmsStatus");
        if (!TwilioForm.LooksLikeSid(sid, "SM") && !TwilioForm.LooksLikeSid(sid, "MM")) return Bad("MessageSid is missing or malformed.");
        if (status is null) return Bad("MessageStatus is missing.");
        // A status Twilio adds later is not an error: acknowledge it, or Twilio retries and logs a failure.
        if (DeliveryStatus.Map(status) is null) return EmptyMessaging();
        int? code = null;
        if (form.Get("ErrorCode") is { } raw)
        {
            if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)) return Bad("ErrorCode must be a number.");
            code = parsed;
        }
        await handler.HandleAsync(sid!, status, code, ct);
        return EmptyMessaging();
    }
}
