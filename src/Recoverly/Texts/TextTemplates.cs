using System.Globalization;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Telephony;

namespace Recoverly.Texts;

/// <summary>
/// Every text Recoverly writes, in one place: the engine sends these and the public examples
/// page renders these, so what a carrier reviewer reads is what callers get.
/// </summary>
public static class TextTemplates
{
    public const string BusinessToken = "{Business}";
    /// <summary>The owner's booking page (<see cref="Business.BookingLink"/>); a template may use it only while one is set.</summary>
    public const string BookingLinkToken = "{booking_link}";

    public const string DefaultTextBack =
        "Hi, this is {Business}. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out.";

    /// <summary>The business-hours text-back.</summary>
    public static string TextBack(Business business) => Render(business.TextBackTemplate ?? DefaultTextBack, business.Name, business.BookingLink);

    /// <summary>The text-back a caller gets at this moment: the after-hours variant when one is set and the business is closed.</summary>
    public static string TextBack(Business business, DateTime nowUtc) =>
        business.AfterHoursTemplate is { } afterHours && !BusinessHours.IsOpen(business, nowUtc)
            ? Render(afterHours, business.Name, business.BookingLink)
            : TextBack(business);

    /// <summary>Fills in the placeholders; without a booking link, <c>{booking_link}</c> stays as typed (saving such a template is refused).</summary>
    public static string Render(string template, string businessName, string? bookingLink = null)
    {
        var text = template.Replace(BusinessToken, businessName, StringComparison.Ordinal);
        return bookingLink is null ? text : text.Replace(BookingLinkToken, bookingLink, StringComparison.Ordinal);
    }

    public static string OptOutConfirmation(string businessName) =>
        $"{businessName}: you're unsubscribed and will get no more texts from us. Reply START to resubscribe.";

    public static string OptInConfirmation(string businessName) =>
        $"{businessName}: you're resubscribed. We text you only about your calls to us (1 message per missed call). Msg & data rates may apply. Reply HELP for help, STOP to opt out.";

    /// <summary>The longest HELP answer: two segments.</summary>
    public const int HelpReplyMaxLength = 320;

    /// <summary>
    /// The HELP answer. Its fixed tail (frequency, "Msg &amp; data rates may apply", "Reply STOP to opt out") is never cut:
    /// when the business's name and contact make it too long, the e-mail is dropped, then the name shortened.
    /// </summary>
    public static string HelpReply(Business business)
    {
        const string tail = ". 1 message per missed call. Msg & data rates may apply. Reply STOP to opt out.";
        var phone = Phones.FormatForDisplay(business.BusinessPhone);
        string Compose(string name, string contact) => $"{name}: we text back callers we missed. Help: call {contact}{tail}";
        var name = business.Name;
        if (!string.IsNullOrWhiteSpace(business.OwnerEmail) && Compose(name, $"{phone} or {business.OwnerEmail}") is { Length: <= HelpReplyMaxLength } full)
            return full;
        var text = Compose(name, phone);
        if (text.Length <= HelpReplyMaxLength) return text;
        var room = name.Length - (text.Length - HelpReplyMaxLength) - 3;
        return Compose(room > 0 ? name[..room].TrimEnd() + "..." : "", phone);
    }

    /// <summary>
    /// The "reply YES" request: fixed words and the Recoverly number it comes from, nothing the owner typed (not even the
    /// business name), so the form cannot put anyone's words on a stranger's phone (docs/product/owner-alerts.md).
    /// </summary>
    public static string OwnerOptInRequest(string recoverlyNumber) =>
        $"Recoverly: reply YES to get missed-call alerts for the business on Recoverly number {Phones.FormatForDisplay(recoverlyNumber)}. " +
        "Not you? Ignore this or reply STOP. Msg & data rates may apply. HELP for help.";

    public static string OwnerAlertsOn(string businessName) =>
        $"Recoverly: missed-call alerts for {SafeName(businessName)} are on. About 1 alert per missed call or reply. Msg & data rates may apply. Reply HELP for help, STOP to cancel.";

    public static string OwnerAlertsOff(string businessName) =>
        $"Recoverly: missed-call alerts for {SafeName(businessName)} are off. You'll get no more alert texts. Reply START to turn them back on.";

    public static string OwnerHelp(string businessName) =>
        $"Recoverly alerts for {SafeName(businessName)}: a text per missed call and caller reply. Reply to an alert to answer that caller. Msg & data rates may apply. Reply STOP to cancel.";

    /// <summary>The longest business name an owner-facing Recoverly text carries.</summary>
    public const int SafeNameLength = 30;

    /// <summary>
    /// A business name as Recoverly's own texts to the owner's phone carry it: letters, digits, spaces and &amp; ' - only
    /// (no dots, slashes or colons, so never a link), at most <see cref="SafeNameLength"/> characters; "your business" when nothing is left.
    /// </summary>
    public static string SafeName(string businessName)
    {
        var kept = new string(businessName.Select(c => char.IsLetterOrDigit(c) || c is '&' or '\'' or '-' ? c : ' ').ToArray());
        var flat = string.Join(' ', kept.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (flat.Length > SafeNameLength) flat = flat[..SafeNameLength].TrimEnd();
        return flat.Length == 0 ? "your business" : flat;
    }

    public static string OwnerUseDashboard(string link) =>
        $"Recoverly: we couldn't tell which caller you're answering (no alert in the last 30 minutes). Please reply from the dashboard: {link}";

    /// <summary>More than one caller could be meant: nothing was sent; the owner resends starting with the caller's last four digits.</summary>
    public static string OwnerWhichCaller(IReadOnlyList<(string LastFour, string Phone)> candidates)
    {
        var shown = candidates.Take(5).Select(c => $"{c.LastFour} = {Phones.FormatForDisplay(c.Phone)}");
        var more = candidates.Count > 5 ? $" (+{candidates.Count - 5} more)" : "";
        return $"Recoverly: not sent — {candidates.Count} callers were alerted in the last 30 minutes. Send it again starting with the caller's " +
               $"last 4 digits, e.g. \"{candidates[0].LastFour} on my way\": {string.Join("; ", shown)}{more}.";
    }

    public static string OwnerDigitsUnclear(string link) =>
        $"Recoverly: not sent — those 4 digits don't name exactly one caller from your alerts, or no message followed them. Please reply from the dashboard: {link}";

    /// <summary>An owner's SMS reply the owner-text rules refused (the reason in the owner's words): nothing went to the caller.</summary>
    public static string OwnerReplyNotSent(string callerE164, string reason) =>
        $"Recoverly: your reply to {Phones.FormatForDisplay(callerE164)} was not sent. {reason}";

    /// <param name="callerName">The carrier's caller name (already cleaned), for the owner only; a text to a caller never carries it.</param>
    public static string MissedCallAlert(string? callerE164, DateTime atUtc, TimeZoneInfo zone, CallOutcome outcome, int callCount, string? callerName = null)
    {
        var number = callerE164 is null ? "a withheld number" : Phones.FormatForDisplay(callerE164);
        var who = callerName is null ? number : $"{number} ({callerName})";
        var time = TimeZoneInfo.ConvertTimeFromUtc(atUtc, zone).ToString("h:mm tt", CultureInfo.InvariantCulture);
        var times = callCount > 1 ? $" (call {callCount} of this episode)" : "";
        return $"Recoverly: missed call from {who} at {time}{times} — {OutcomeForOwner(outcome)}";
    }

    /// <summary>What Recoverly did about a missed call, in the owner's words (alerts and the morning digest).</summary>
    public static string OutcomeForOwner(CallOutcome outcome) =>
        outcome switch
        {
            // Said before the text's outcome is known: a later failure shows on the conversation, never contradicting this.
            CallOutcome.Texted => "we're texting them back.",
            CallOutcome.Repeat => "we already texted them back.",
            CallOutcome.Withheld => "caller ID was hidden, so we couldn't text them.",
            CallOutcome.Landline => "it's a landline, so please call them back.",
            CallOutcome.OptedOut => "they opted out of texts, so please call them back.",
            CallOutcome.International => "international number, not texted; please call them back.",
            CallOutcome.ShortCode => "a short code, not texted.",
            CallOutcome.UnverifiedCaller => "caller ID failed verification, so we didn't text it.",
            CallOutcome.Internal => "an internal number, not texted.",
            CallOutcome.Inactive => "texting is off (subscription inactive); please call them back.",
            CallOutcome.Paused => "texting is paused; please call them back.",
            CallOutcome.DailyLimit => "daily text limit reached; please call them back.",
            _ => "",
        };

    public static string ReplyAlert(string callerE164, IReadOnlyList<string> replies, string link)
    {
        var who = Phones.FormatForDisplay(callerE164);
        var latest = Quote(replies[^1]);
        return replies.Count == 1
            ? $"Recoverly: {who} replied: \"{latest}\" — reply to this text to answer, or open {link}"
            : $"Recoverly: {who} sent {replies.Count} replies, latest: \"{latest}\" — reply to this text to answer, or open {link}";
    }

    /// <param name="voicemail">What the caller's voicemail says in the owner's words (<see cref="VoicemailNote"/>), or null.</param>
    public static string DigestCallLine(string? callerE164, int calls, DateTime lastAtUtc, TimeZoneInfo zone, CallOutcome outcome, string? voicemail = null)
    {
        var who = callerE164 is null ? "A withheld number" : Phones.FormatForDisplay(callerE164);
        var time = TimeZoneInfo.ConvertTimeFromUtc(lastAtUtc, zone).ToString("h:mm tt", CultureInfo.InvariantCulture);
        var times = calls > 1 ? $" {calls} times (last at {time})" : $" at {time}";
        var note = voicemail is null ? "" : " " + voicemail;
        return $"{who} called{times} — {OutcomeForOwner(outcome)}{note}";
    }

    /// <summary>How much of a transcription an SMS alert carries; the app shows all of it.</summary>
    public const int VoicemailExcerptLength = 120;

    /// <summary>How much of a transcription an e-mail alert carries.</summary>
    public const int VoicemailEmailLength = 1000;

    /// <summary>A voicemail in one sentence: its transcription (shortened), or, when there is none, where to listen.</summary>
    public static string VoicemailNote(string? transcription, int maxLength = VoicemailExcerptLength) =>
        transcription is null ? "They left a voicemail — listen in the app." : $"Voicemail: \"{Shorten(transcription, maxLength)}\"";

    /// <summary>The follow-up when the transcription (or its failure) arrives after the missed-call alert went out.</summary>
    public static string VoicemailAlert(string? callerE164, string? transcription, string link)
    {
        var who = callerE164 is null ? "a withheld number" : Phones.FormatForDisplay(callerE164);
        return transcription is null
            ? $"Recoverly: voicemail left by {who} — listen in the app: {link}"
            : $"Recoverly: voicemail from {who}: \"{Shorten(transcription, VoicemailExcerptLength)}\" {link}";
    }

    /// <summary>An emergency word in a reply or a voicemail: the word first, so the owner sees why at a glance.</summary>
    public static string EmergencyAlert(string? callerE164, string word, string said, bool voicemail, string link)
    {
        var who = callerE164 is null ? "a withheld number" : Phones.FormatForDisplay(callerE164);
        var what = voicemail ? $"voicemail from {who}" : $"{who} wrote";
        var answer = voicemail || callerE164 is null ? "open" : "reply to this text to answer, or open";
        return $"Recoverly URGENT (\"{word}\"): {what}: \"{Quote(said)}\" — {answer} {link}";
    }

    public static string DigestReplyLine(string callerE164, int replies, string latest) =>
        replies == 1
            ? $"{Phones.FormatForDisplay(callerE164)} replied: \"{Quote(latest)}\""
            : $"{Phones.FormatForDisplay(callerE164)} sent {replies} replies, latest: \"{Quote(latest)}\"";

    /// <summary>One message for everything that happened during the owner's quiet hours; at most 1600 characters.</summary>
    public static string QuietHoursDigest(string businessName, int calls, int replies, IReadOnlyList<string> lines, string link)
    {
        var header = $"Recoverly: while your alerts were quiet, {businessName} had {Count(calls, "missed call", "missed calls")} and {Count(replies, "caller reply", "caller replies")}.";
        var footer = $"Open {link}";
        var text = new System.Text.StringBuilder(header);
        for (var i = 0; i < lines.Count; i++)
        {
            var more = lines.Count - i - 1;
            var reserve = footer.Length + (more > 0 ? 20 : 0) + 4;
            if (text.Length + 1 + lines[i].Length + reserve > 1600)
            {
                text.Append('\n').Append($"+{lines.Count - i} more");
                break;
            }
            text.Append('\n').Append(lines[i]);
        }
        return text.Append('\n').Append(footer).ToString();
    }

    private static string Count(int n, string one, string many) => n == 1 ? $"1 {one}" : $"{n} {many}";

    private static string Shorten(string text, int max)
    {
        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= max ? flat : flat[..(max - 3)].TrimEnd() + "...";
    }

    private static string Quote(string body)
    {
        var flat = string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 160 ? flat : flat[..157] + "...";
    }
}
