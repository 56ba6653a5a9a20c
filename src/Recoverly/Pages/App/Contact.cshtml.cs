using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Owners;
using Recoverly.Texts;

namespace Recoverly.Pages.App;

/// <param name="Audio">The voicemail's player source (the authenticated recording page), or null.</param>
public sealed record ThreadItem(DateTime At, string Side, string Text, Chip? Status, string? Label, string? Audio = null);

/// <summary>A saved quick reply as the reply box gets it (placeholders filled in) and its button's label.</summary>
public sealed record QuickReplyButton(string Text, string Label);

/// <summary>
/// /app/contacts/{id}: one caller's thread, the reply box with the owner's quick replies, what became of the latest
/// missed call (called back, booked — for the report, never texted), and their full consent history.
/// </summary>
public sealed class ContactModel(RecoverlyDb db, TimeProvider time, OwnerTextPolicy policy, DispatchSignal signal,
    CurrentOwner owner) : AppPageModel
{
    private static readonly OutboundKind[] CallerKinds =
        [OutboundKind.TextBack, OutboundKind.OwnerReply, OutboundKind.OptOutConfirmation, OutboundKind.OptInConfirmation, OutboundKind.HelpReply];

    public static readonly IReadOnlyList<string> OptOutChannels = ["phone call", "email", "in person", "other"];

    public Contact Contact { get; private set; } = null!;
    public List<ThreadItem> Thread { get; } = [];
    public List<ConsentEvent> Consent { get; private set; } = [];
    public bool OptedOut { get; private set; }
    public string? Error { get; private set; }
    public string? Notice { get; private set; }
    public string? Draft { get; private set; }
    /// <summary>The first call of the contact's latest episode, with what became of it; null for a contact who only texted.</summary>
    public MissedCall? Episode { get; private set; }
    public string? OutcomeError { get; private set; }
    public string? TypedJobValue { get; private set; }
    public List<QuickReplyButton> QuickReplies { get; } = [];
    public string ReplyKey { get; } = Guid.NewGuid().ToString("N");
    public DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<IActionResult> OnGetAsync(long id, string? done, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct)) return NotFound();
        Notice = done switch
        {
            "sent" => "Reply queued — it's on its way.",
            "optout" => "Opt-out recorded. We won't text this number again, and anything still queued was cancelled.",
            "calledback" => "Noted: you called them back. It counts in your report; nothing was sent to them.",
            "won" => "Noted: booked. It counts in your report; nothing was sent to them.",
            "undone" => "Undone.",
            "handled" => "Marked as handled: no longer urgent in your inbox.",
            _ => null,
        };
        return Page();
    }

    public async Task<IActionResult> OnPostReplyAsync(long id, string? body, string? replyKey, CancellationToken ct)
    {
        if (!await LoadContactAsync(id, ct)) return NotFound();
        var key = replyKey is { Length: 32 } k && k.All(char.IsAsciiHexDigit) ? k : Guid.NewGuid().ToString("N");
        var refused = await ContactActions.QueueReplyAsync(db, Business, Contact, body, key, policy, Now, ct);
        if (refused is null)
        {
            signal.Notify();
            return Redirect($"/app/contacts/{id}?done=sent#reply");
        }
        await LoadAsync(id, ct);
        Error = refused;
        Draft = body;
        Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return Page();
    }

    /// <summary>"Handled" on an urgent conversation: it takes its usual place in the inbox again.</summary>
    public async Task<IActionResult> OnPostHandledAsync(long id, CancellationToken ct)
    {
        if (!await ContactActions.MarkHandledAsync(db, Business.Id, id, ct)) return NotFound();
        return Redirect($"/app/contacts/{id}?done=handled");
    }

    public async Task<IActionResult> OnPostOptOutAsync(long id, string? how, string? note, CancellationToken ct)
    {
        if (!await LoadContactAsync(id, ct)) return NotFound();
        var channel = OptOutChannels.Contains(how) ? how! : "other";
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim()[..Math.Min(note.Trim().Length, 300)];
        var evidence = $"Opt-out heard by {channel}, recorded by owner {owner.Email} (account {owner.AccountId})"
                       + (note is null ? "" : $"; note: {note}")
                       + $"; IP {HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown"}; user agent {Request.Headers.UserAgent}";
        await ContactActions.RecordOptOutAsync(db, Business.Id, Contact, $"owner dashboard ({channel})", evidence, Now, ct);
        return Redirect($"/app/contacts/{id}?done=optout#consent");
    }

    /// <summary>"I called them back" (or its undo) on the episode the page showed; never texts the caller.</summary>
    public async Task<IActionResult> OnPostCalledBackAsync(long id, long episode, bool on, CancellationToken ct)
    {
        if (!await LoadContactAsync(id, ct)) return NotFound();
        if (!await ContactActions.MarkCalledBackAsync(db, Business.Id, id, episode, on, Now, ct)) return NotFound();
        return Redirect($"/app/contacts/{id}?done={(on ? "calledback" : "undone")}#outcome");
    }

    /// <summary>"Booked / won" with an optional job value (or its undo) on the episode the page showed; never texts the caller.</summary>
    public async Task<IActionResult> OnPostWonAsync(long id, long episode, bool on, string? value, CancellationToken ct)
    {
        if (!await LoadContactAsync(id, ct)) return NotFound();
        long? cents = null;
        if (on && JobValue.Parse(value, out cents) is { } problem)
        {
            await LoadAsync(id, ct);
            (OutcomeError, TypedJobValue) = (problem, value);
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        if (!await ContactActions.MarkWonAsync(db, Business.Id, id, episode, on, cents, Now, ct)) return NotFound();
        return Redirect($"/app/contacts/{id}?done={(on ? "won" : "undone")}#outcome");
    }

    private async Task<bool> LoadContactAsync(long id, CancellationToken ct)
    {
        var contact = await db.Contacts.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id && c.BusinessId == Business.Id, ct);
        if (contact is null) return false;
        Contact = contact;
        return true;
    }

    private async Task<bool> LoadAsync(long id, CancellationToken ct)
    {
        if (!await LoadContactAsync(id, ct)) return false;
        var businessId = Business.Id;
        var calls = await db.MissedCalls.AsNoTracking()
            .Where(c => c.BusinessId == businessId && c.ContactId == id)
            .OrderByDescending(c => c.At).Take(100).ToListAsync(ct);
        var sent = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == businessId && m.To == Contact.Phone && CallerKinds.Contains(m.Kind))
            .OrderByDescending(m => m.Id).Take(200).ToListAsync(ct);
        var received = await db.InboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == businessId && m.ContactId == id && !m.FromOwner)
            .OrderByDescending(m => m.At).Take(200).ToListAsync(ct);

        foreach (var c in calls)
        {
            var chip = c.Outcome == CallOutcome.Texted ? new Chip("Texted back", "ok") : OwnerWords.ForCall(c.Outcome);
            Thread.Add(new ThreadItem(c.At, "event", "Missed call", chip, null));
            if (!string.IsNullOrWhiteSpace(c.Transcription) || c.RecordingUrl is not null)
            {
                var words = !string.IsNullOrWhiteSpace(c.Transcription) ? c.Transcription
                    : c.TranscriptionStatus is null ? "Voicemail left (transcription on its way)." : "Voicemail left (it could not be transcribed): listen to it here.";
                Thread.Add(new ThreadItem(c.At, "them", words, null, "Voicemail", c.RecordingUrl is null ? null : RecordingModel.PathFor(id, c.Id)));
            }
            if (c.CalledBackAt is { } calledBack) Thread.Add(new ThreadItem(calledBack, "event", "You noted", OwnerWords.CalledBack, null));
            if (c.WonAt is { } won) Thread.Add(new ThreadItem(won, "event", "You noted", OwnerWords.Booked(c.JobValueCents), null));
        }
        Episode = Contact.EpisodeFirstCallId is { } first
            ? calls.FirstOrDefault(c => c.Id == first)
              ?? await db.MissedCalls.AsNoTracking().FirstOrDefaultAsync(c => c.Id == first && c.BusinessId == businessId, ct)
            : null;
        foreach (var reply in await Owners.QuickReplies.ListAsync(db, businessId, ct))
        {
            var text = Owners.QuickReplies.Render(reply, Business);
            var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            QuickReplies.Add(new QuickReplyButton(text, flat.Length <= 28 ? flat : flat[..27].TrimEnd() + "…"));
        }
        foreach (var m in sent)
        {
            var status = m is { Status: OutboundStatus.Pending, Reason: OutboxReason.HeldOvernight }
                ? OwnerWords.PlannedTextBack(m.NextAttemptAt, BusinessClock.Zone(Business.TimeZone), OvernightHold.CallerZone(m.To, Business.TimeZone))
                : OwnerWords.ForText(m.Status, m.ErrorCode, m.Reason, m.Kind);
            Thread.Add(new ThreadItem(m.SentAt ?? m.CreatedAt, "me", m.Body, status, OwnerWords.TextKind(m.Kind)));
        }
        foreach (var m in received)
        {
            var label = m.Intent switch
            {
                InboundIntent.OptOut => "Opt-out",
                InboundIntent.OptIn => "Opt-in",
                InboundIntent.Help => "Asked for help",
                _ => null,
            };
            Thread.Add(new ThreadItem(m.At, "them", m.Body, null, label));
        }
        Thread.Sort((a, b) => a.At.CompareTo(b.At));

        Consent = await db.ConsentEvents.AsNoTracking()
            .Where(e => e.BusinessId == businessId && e.Phone == Contact.Phone)
            .OrderBy(e => e.Id).ToListAsync(ct);
        OptedOut = await ConsentLedger.CallerStateAsync(db, businessId, Contact.Phone, ct) == CallerConsent.OptedOut;
        return true;
    }
}
