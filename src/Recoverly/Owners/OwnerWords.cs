using System.Globalization;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Owners;

/// <summary>A status in plain words with its colour: "ok", "warn", "bad" or "" (neutral), the site.css chip classes.</summary>
public sealed record Chip(string Text, string Tone);

/// <summary>Outcomes, delivery statuses and consent events in the owner's words (docs/product/missed-calls.md, docs/product/sending.md).</summary>
public static class OwnerWords
{
    /// <summary>The chip of a missed call; for a texted call, the text-back's own status decides.</summary>
    public static Chip ForCall(CallOutcome outcome, OutboundStatus? textStatus = null, int? errorCode = null,
        OutboxReason reason = OutboxReason.None, bool textsHeld = false) =>
        outcome switch
        {
            CallOutcome.Texted => textStatus is { } status ? ForTextBack(status, errorCode, reason, textsHeld) : new("Texted back", "ok"),
            CallOutcome.Withheld => new("Not texted — caller ID withheld", "warn"),
            CallOutcome.Internal => new("Not texted — internal number", ""),
            CallOutcome.ShortCode => new("Not texted — short code", ""),
            CallOutcome.International => new("Not texted — international caller", "warn"),
            CallOutcome.UnverifiedCaller => new("Not texted — caller ID failed verification", "warn"),
            CallOutcome.Landline => new("Not texted — landline", "warn"),
            CallOutcome.OptedOut => new("Opted out", "bad"),
            CallOutcome.Repeat => new("Already texted (repeat call)", ""),
            CallOutcome.Inactive => new("Not texted — subscription inactive", "bad"),
            CallOutcome.Paused => new("Not texted — texting paused", "warn"),
            CallOutcome.DailyLimit => new("Not texted — daily limit reached", "warn"),
            _ => new(outcome.ToString(), ""),
        };

    /// <summary>What the owner did about a missed call (the inbox row and the conversation).</summary>
    public static readonly Chip YouReplied = new("You replied", "");
    public static readonly Chip CalledBack = new("You called back", "ok");

    public static Chip Booked(long? jobValueCents) => new(jobValueCents is { } cents ? $"Booked · {JobValue.Format(cents)}" : "Booked", "ok");

    /// <summary>A text that waits for the number's registration (docs/product/registration.md).</summary>
    public static readonly Chip HeldForRegistration = new("Held — number not yet registered", "warn");

    public static Chip ForTextBack(OutboundStatus status, int? errorCode, OutboxReason reason, bool textsHeld = false) => status switch
    {
        OutboundStatus.Pending when textsHeld => HeldForRegistration,
        OutboundStatus.Pending or OutboundStatus.InDoubt or OutboundStatus.Sending => new("Texting back…", ""),
        OutboundStatus.Queued or OutboundStatus.Sent => new("Texted back", "ok"),
        OutboundStatus.Delivered => new("Texted back · delivered", "ok"),
        OutboundStatus.Undelivered or OutboundStatus.Failed => new(NotDelivered(errorCode, reason), "bad"),
        OutboundStatus.Cancelled when reason == OutboxReason.CallerOptedOut => new("Opted out", "bad"),
        OutboundStatus.Cancelled when reason == OutboxReason.OwnerAnsweredFirst => new("Not texted — you answered first", ""),
        OutboundStatus.Cancelled => new("Not texted — cancelled", "warn"),
        OutboundStatus.Expired => new("Expired — not sent within an hour", "warn"),
        _ => new(status.ToString(), ""),
    };

    /// <summary>Any outbound text's status, for the conversation thread.</summary>
    public static Chip ForText(OutboundStatus status, int? errorCode, OutboxReason reason, OutboundKind kind) => status switch
    {
        OutboundStatus.Pending or OutboundStatus.InDoubt or OutboundStatus.Sending => new("Sending…", ""),
        OutboundStatus.Queued or OutboundStatus.Sent => new("Sent", "ok"),
        OutboundStatus.Delivered => new("Delivered", "ok"),
        OutboundStatus.Undelivered or OutboundStatus.Failed => new(NotDelivered(errorCode, reason), "bad"),
        OutboundStatus.Cancelled => new(Reason(reason, kind, errorCode) ?? "Cancelled", "warn"),
        OutboundStatus.Expired => new(Reason(reason, kind, errorCode) ?? "Expired — not sent in time", "warn"),
        _ => new(status.ToString(), ""),
    };

    /// <summary>Every <see cref="OutboxReason"/> in the owner's words; null for none.</summary>
    public static string? Reason(OutboxReason reason, OutboundKind kind, int? errorCode) => reason switch
    {
        OutboxReason.None => null,
        OutboxReason.CallerOptedOut => "Cancelled — the caller opted out",
        OutboxReason.OwnerAlertsOff => "Cancelled — the owner turned alerts off",
        OutboxReason.OwnerAlertsNotConfirmed => "Cancelled — owner alerts are not confirmed",
        OutboxReason.AccountDeleted => "Cancelled — account deleted",
        OutboxReason.EmailAlertsOff => "Cancelled — email alerts are off",
        OutboxReason.WeeklySummaryOff => "Cancelled — weekly summary turned off",
        OutboxReason.NotSentInTime when kind == OutboundKind.TextBack => "Expired — not sent within 60 minutes of the call",
        OutboxReason.NotSentInTime => "Expired — not sent in time",
        OutboxReason.ProviderKeptRefusing when kind == OutboundKind.TextBack =>
            "Expired — not sent within 60 minutes of the call (the provider kept refusing it)",
        OutboxReason.ProviderKeptRefusing => "Expired — not sent in time (the provider kept refusing it)",
        OutboxReason.EmailRetrying => "Email not accepted yet; retrying",
        OutboxReason.ProviderUnreachable => "Provider unreachable; retrying",
        OutboxReason.ProviderBusy => ProviderErrors.Describe(20429).Reason,
        OutboxReason.ProviderNoAnswer => "No answer from the provider; checking before any resend",
        OutboxReason.ProviderServerError => "Provider error; checking before any resend",
        OutboxReason.NotTextableLine => "Not sent — the number is a landline (or another line that can't take texts)",
        OutboxReason.ProviderError => errorCode is { } code ? ProviderErrors.Describe(code).Reason : "Not sent — provider error",
        OutboxReason.PushDeviceRemoved => "Cancelled — the device was removed",
        OutboxReason.PushDeviceGone => "Not sent — the device turned phone alerts off",
        OutboxReason.PushRetrying => "Push service not reachable yet; retrying",
        OutboxReason.PushRefused => "Not sent — the push service refused it",
        OutboxReason.HeldOvernight => "Held overnight",
        OutboxReason.OwnerAnsweredFirst => "Not sent — you answered first",
        _ => reason.ToString(),
    };

    private static string NotDelivered(int? errorCode, OutboxReason reason)
    {
        if (errorCode is not { } code) return Reason(reason, OutboundKind.TextBack, null) ?? "Not delivered";
        return ProviderErrors.Describe(code).Category switch
        {
            ErrorCategory.Filtered => "Not delivered — carrier filtered",
            ErrorCategory.Landline => "Not delivered — landline",
            ErrorCategory.OptedOut => "Not delivered — opted out",
            ErrorCategory.Unreachable => "Not delivered — phone unreachable",
            ErrorCategory.Invalid => "Not delivered — invalid number",
            ErrorCategory.Configuration => "Not delivered — sending number needs setup",
            ErrorCategory.Throttled => "Not delivered — the carrier limited our sending",
            ErrorCategory.Expired => "Expired — not sent in time",
            _ => $"Not delivered — error {code}",
        };
    }

    public static string TextKind(OutboundKind kind) => kind switch
    {
        OutboundKind.TextBack => "Text-back",
        OutboundKind.OwnerReply => "Your reply",
        OutboundKind.OptOutConfirmation => "Opt-out confirmation",
        OutboundKind.OptInConfirmation => "Opt-in confirmation",
        OutboundKind.HelpReply => "HELP answer",
        _ => kind.ToString(),
    };

    public static string ConsentKindWords(ConsentKind kind) => kind switch
    {
        ConsentKind.OptOut => "Opted out",
        ConsentKind.OptIn => "Opted back in",
        ConsentKind.Help => "Asked for help",
        ConsentKind.OwnerOptIn => "Owner alerts requested",
        ConsentKind.OwnerConfirmed => "Owner alerts confirmed",
        ConsentKind.OwnerOptOut => "Owner alerts turned off",
        _ => kind.ToString(),
    };

    public static string ConsentSourceWords(ConsentSource source) => source switch
    {
        ConsentSource.Keyword => "Keyword text",
        ConsentSource.Phrase => "Text asking to stop",
        ConsentSource.ProviderError => "Carrier / provider",
        ConsentSource.WebForm => "Web form",
        ConsentSource.Operator => "Operator",
        ConsentSource.OwnerRecorded => "Recorded by you",
        _ => source.ToString(),
    };

    /// <summary>"2:14 PM" today, "Yesterday 2:14 PM", "Nov 27, 2:14 PM", with the year when it is not this year.</summary>
    /// <summary>
    /// A text-back the overnight option holds: "Text-back planned for 8:00 am", in the owner's time, with the caller's
    /// own time added when they are in another zone (docs/product/overnight-hold.md).
    /// </summary>
    public static Chip PlannedTextBack(DateTime plannedUtc, TimeZoneInfo ownerZone, TimeZoneInfo callerZone)
    {
        static string Time(DateTime utc, TimeZoneInfo zone) =>
            TimeZoneInfo.ConvertTimeFromUtc(utc, zone).ToString("h:mm tt", CultureInfo.InvariantCulture).ToLowerInvariant();
        var owner = Time(plannedUtc, ownerZone);
        var caller = Time(plannedUtc, callerZone);
        return new($"Text-back planned for {owner}" + (caller == owner ? "" : $" ({caller} their time)"), "");
    }

    public static string When(DateTime utc, TimeZoneInfo zone, DateTime nowUtc)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, zone);
        var today = TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone).Date;
        var time = local.ToString("h:mm tt", CultureInfo.InvariantCulture);
        if (local.Date == today) return $"Today {time}";
        if (local.Date == today.AddDays(-1)) return $"Yesterday {time}";
        return local.Year == today.Year
            ? local.ToString("MMM d, ", CultureInfo.InvariantCulture) + time
            : local.ToString("MMM d yyyy, ", CultureInfo.InvariantCulture) + time;
    }

    /// <summary>The caller as the owner reads it: (512) 555-0142 (with the carrier's caller name when known), a short code as dialled, or "Caller ID withheld".</summary>
    public static string Caller(string? e164, string raw, string? callerName = null)
    {
        if (e164 is not null) return callerName is null ? Phones.FormatForDisplay(e164) : $"{Phones.FormatForDisplay(e164)} ({callerName})";
        var digits = raw.Trim();
        return digits.Length is > 0 and <= 20 && digits.TrimStart('+').All(char.IsAsciiDigit) && Phones.ParseCaller(raw).Kind != CallerIdKind.Withheld
            ? digits
            : "Caller ID withheld";
    }
}
