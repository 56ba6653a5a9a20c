using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Owners;

public sealed record InboxReply(string Body, DateTime At);

/// <summary>One line of the inbox: a missed-call episode (one caller's calls within the episode window) and what followed.</summary>
/// <param name="At">When they (last) called.</param>
/// <param name="Progress">What the owner did about it: replied, called back, booked (chips), oldest first.</param>
/// <param name="Urgent">The emergency word that made the conversation urgent; null when it is not (docs/product/owner-alerts.md).</param>
public sealed record InboxRow(long CallId, long? ContactId, string Caller, DateTime At, int Calls, Chip Outcome, bool OptedOut,
    IReadOnlyList<InboxReply> Replies, int EarlierReplies, string? Voicemail, bool HasRecording, IReadOnlyList<Chip> Progress,
    string? Urgent = null);

/// <summary>Where the next page starts: after this call's row at this activity time (<c>?before=</c> and <c>&amp;at=</c>).</summary>
public sealed record InboxCursor(long CallId, DateTime At)
{
    public string Query => $"before={CallId}&at={At.Ticks}";
}

/// <param name="Older">The cursor of the next page, or null on the last page.</param>
public sealed record InboxPage(IReadOnlyList<InboxRow> Rows, InboxCursor? Older);

/// <summary>
/// The owner's inbox, one row per missed-call episode, the most recent activity first: a new call, or a reply
/// either way, puts its conversation on top. Pages are keyset pages on the (BusinessId, LastActivityAt, Id)
/// index — no OFFSET and no count — so page 4,000 costs what page 1 costs; the details of a page are fetched
/// by the ids on it (ContactId, MissedCallId and consent indexes). Urgent conversations (an emergency word the owner has not
/// handled yet) come first on the first page, read through a small partial index, and are left out of the pages below.
/// </summary>
public static class Inbox
{
    public const int PageSize = 25;
    public const int RepliesShown = 3;
    /// <summary>Urgent conversations shown above the rest; more than this at once is a bad night the owner works through.</summary>
    public const int UrgentShown = 25;

    /// <summary>The widest episode window a business can set: every call of an episode lies within it.</summary>
    private static readonly TimeSpan EpisodeReach = TimeSpan.FromHours(72);

    private sealed record RawCall(long Id, long? ContactId, long? EpisodeFirstCallId, string? FromE164, string FromRaw, DateTime At,
        DateTime LastActivityAt, CallOutcome Outcome, string? Transcription, bool HasRecording, EpisodeFacts Facts, string? CallerName)
    {
        public long EpisodeKey => EpisodeFirstCallId ?? Id;
    }

    private sealed record EpisodeFacts(DateTime? OwnerRepliedAt, DateTime? CalledBackAt, DateTime? WonAt, long? JobValueCents);

    /// <summary>
    /// Null when <paramref name="before"/> is not one of this business's calls. <paramref name="beforeAt"/> is the
    /// activity time the cursor was made at; without it the call's current one is used.
    /// </summary>
    public static async Task<InboxPage?> PageAsync(RecoverlyDb db, Business business, long? before, CancellationToken ct, int pageSize = PageSize,
        bool textsHeld = false,
        DateTime? beforeAt = null)
    {
        var beforeId = long.MaxValue;
        if (before is { } id)
        {
            var anchor = await db.MissedCalls.AsNoTracking().Where(c => c.Id == id && c.BusinessId == business.Id)
                .Select(c => new { c.LastActivityAt }).FirstOrDefaultAsync(ct);
            if (anchor is null) return null;
            // The cursor's own time keeps the next page in place when the anchor row has moved up since.
            (beforeAt, beforeId) = (beforeAt ?? anchor.LastActivityAt, id);
        }
        else beforeAt = null;

        var urgent = await db.Contacts.AsNoTracking()
            .Where(k => k.BusinessId == business.Id && k.UrgentAt != null)
            .OrderByDescending(k => k.UrgentAt)
            .Take(UrgentShown)
            .Select(k => new { k.Id, k.UrgentWord })
            .ToListAsync(ct);
        var urgentIds = urgent.Select(u => u.Id).ToList();

        var rows = new List<InboxRow>();
        if (before is null && urgentIds.Count > 0)
        {
            // Each urgent conversation at its newest call, the row the inbox shows for it.
            var newest = await db.MissedCalls.AsNoTracking()
                .Where(c => c.BusinessId == business.Id && c.ContactId != null && urgentIds.Contains(c.ContactId.Value))
                .GroupBy(c => c.ContactId)
                .Select(g => g.Max(c => c.Id))
                .ToListAsync(ct);
            var raw = await db.MissedCalls.AsNoTracking().Where(c => newest.Contains(c.Id)).Select(Raw).ToListAsync(ct);
            if (raw.Count > 0)
            {
                var words = urgent.ToDictionary(u => u.Id, u => u.UrgentWord ?? "");
                rows.AddRange((await RowsAsync(db, business, raw, textsHeld, ct))
                    .Select(r => r with { Urgent = words[r.ContactId!.Value] })
                    .OrderBy(r => urgentIds.IndexOf(r.ContactId!.Value)));
            }
        }
        var urgentCount = rows.Count;

        InboxCursor? older = null;
        // A page of raw calls can collapse into few episodes (one caller calling 40 times): read on a little.
        for (var round = 0; round < 4 && rows.Count - urgentCount < pageSize; round++)
        {
            // Later rounds read only the rows still missing, so a page stays near pageSize rows.
            var take = round == 0 ? pageSize : pageSize - (rows.Count - urgentCount);
            var raw = await RawPageAsync(db, business.Id, beforeAt, beforeId, take, urgentIds, ct);
            if (raw.Count == 0)
            {
                older = null;
                break;
            }
            rows.AddRange(await RowsAsync(db, business, raw, textsHeld, ct));
            (beforeAt, beforeId) = (raw[^1].LastActivityAt, raw[^1].Id);
            older = raw.Count == take ? new InboxCursor(raw[^1].Id, raw[^1].LastActivityAt) : null;
            if (older is null) break;
        }
        return new InboxPage(rows, older);
    }

    private static Task<List<RawCall>> RawPageAsync(RecoverlyDb db, long businessId, DateTime? beforeAt, long beforeId, int take,
        List<long> urgentIds, CancellationToken ct)
    {
        var q = db.MissedCalls.AsNoTracking().Where(c => c.BusinessId == businessId);
        // Urgent conversations sit above the pages; a residual filter on the rows the index range reads anyway.
        if (urgentIds.Count > 0) q = q.Where(c => c.ContactId == null || !urgentIds.Contains(c.ContactId.Value));
        // `LastActivityAt <= cursor` is the index range; the Id breaks ties between rows in the same instant.
        if (beforeAt is { } at) q = q.Where(c => c.LastActivityAt <= at && (c.LastActivityAt < at || c.Id < beforeId));
        return q.OrderByDescending(c => c.LastActivityAt).ThenByDescending(c => c.Id)
            .Take(take)
            .Select(Raw)
            .ToListAsync(ct);
    }

    private static async Task<List<InboxRow>> RowsAsync(RecoverlyDb db, Business business, List<RawCall> raw, bool textsHeld, CancellationToken ct)
    {
        var contactIds = raw.Where(c => c.ContactId is not null).Select(c => c.ContactId!.Value).Distinct().ToList();
        var since = raw.Min(c => c.At) - EpisodeReach;

        // Every call of these contacts from the start of the oldest episode on this page (newer ones included).
        var related = contactIds.Count == 0 ? [] : await db.MissedCalls.AsNoTracking()
            .Where(c => c.BusinessId == business.Id && c.ContactId != null && contactIds.Contains(c.ContactId.Value) && c.At >= since)
            .Select(Raw)
            .ToListAsync(ct);
        var episodes = related.GroupBy(c => c.EpisodeKey).ToDictionary(g => g.Key, g => g.OrderBy(c => c.Id).ToList());

        var textedIds = related.Where(c => c.Outcome == CallOutcome.Texted).Select(c => c.Id).ToList();
        var texts = textedIds.Count == 0 ? [] : await db.OutboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == business.Id && m.MissedCallId != null && textedIds.Contains(m.MissedCallId.Value)
                        && m.Kind == OutboundKind.TextBack)
            .Select(m => new { CallId = m.MissedCallId!.Value, m.Status, m.ErrorCode, m.Reason, m.NextAttemptAt })
            .ToListAsync(ct);
        var textByCall = texts.GroupBy(t => t.CallId).ToDictionary(g => g.Key, g => g.First());

        // A row's replies end where its contact's next episode starts; past the latest such start no reply can be
        // shown on this page. Without this bound a page deep in the inbox read a regular caller's replies from
        // then to now (up to the 2,000 cap) to show three.
        DateTime? until = null;
        foreach (var contactId in contactIds)
        {
            var newestOnPage = raw.Where(c => c.ContactId == contactId).Max(c => c.At);
            var next = episodes.Values.Where(e => e[0].ContactId == contactId && e[0].At > newestOnPage).Select(e => (DateTime?)e[0].At).Min();
            if (next is null)
            {
                until = null;
                break;
            }
            if (until is null || next > until) until = next;
        }
        var repliesQuery = db.InboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == business.Id && m.ContactId != null && contactIds.Contains(m.ContactId.Value) && m.At >= since
                        && !m.FromOwner && m.Intent == InboundIntent.Conversation);
        if (until is { } end) repliesQuery = repliesQuery.Where(m => m.At < end);
        var replies = contactIds.Count == 0 ? [] : await repliesQuery
            .OrderBy(m => m.At).ThenBy(m => m.Id)
            .Take(2000)
            .Select(m => new { ContactId = m.ContactId!.Value, m.Body, m.At })
            .ToListAsync(ct);

        var phones = raw.Where(c => c.ContactId is not null && c.FromE164 is not null).Select(c => c.FromE164!).Distinct().ToList();
        var consent = phones.Count == 0 ? [] : await db.ConsentEvents.AsNoTracking()
            .Where(e => e.BusinessId == business.Id && phones.Contains(e.Phone) && (e.Kind == ConsentKind.OptOut || e.Kind == ConsentKind.OptIn))
            .Select(e => new { e.Phone, e.Id, e.Kind })
            .ToListAsync(ct);
        var optedOut = consent.GroupBy(e => e.Phone)
            .Where(g => g.MaxBy(e => e.Id)!.Kind == ConsentKind.OptOut)
            .Select(g => g.Key)
            .ToHashSet();

        var rows = new List<InboxRow>();
        foreach (var call in raw)
        {
            if (call.ContactId is not { } contactId || !episodes.TryGetValue(call.EpisodeKey, out var episode))
            {
                rows.Add(new InboxRow(call.Id, null, OwnerWords.Caller(call.FromE164, call.FromRaw, call.CallerName), call.At, 1,
                    OwnerWords.ForCall(call.Outcome), false, [], 0, call.Transcription, call.HasRecording, []));
                continue;
            }
            // An episode is shown once, at its newest call.
            if (episode[^1].Id != call.Id) continue;

            var texted = episode.FirstOrDefault(c => c.Outcome == CallOutcome.Texted);
            var decisive = texted ?? episode[0];
            var chip = texted is not null && textByCall.TryGetValue(texted.Id, out var text)
                ? text is { Status: OutboundStatus.Pending, Reason: OutboxReason.HeldOvernight }
                    ? OwnerWords.PlannedTextBack(text.NextAttemptAt, BusinessClock.Zone(business.TimeZone),
                        OvernightHold.CallerZone(texted.FromE164, business.TimeZone))
                    : OwnerWords.ForCall(CallOutcome.Texted, text.Status, text.ErrorCode, text.Reason, textsHeld)
                : OwnerWords.ForCall(decisive.Outcome);

            var start = episode[0].At;
            var nextStart = episodes.Values
                .Where(e => e[0].ContactId == contactId && e[0].At > start)
                .Select(e => (DateTime?)e[0].At)
                .Min();
            var episodeReplies = replies.Where(r => r.ContactId == contactId && r.At >= start && (nextStart is null || r.At < nextStart))
                .Select(r => new InboxReply(r.Body, r.At))
                .ToList();
            var shown = episodeReplies.TakeLast(RepliesShown).ToList();
            var voicemail = episode.LastOrDefault(c => !string.IsNullOrWhiteSpace(c.Transcription))?.Transcription;

            rows.Add(new InboxRow(call.Id, contactId, OwnerWords.Caller(call.FromE164, call.FromRaw, call.CallerName), call.At, episode.Count, chip,
                call.FromE164 is not null && optedOut.Contains(call.FromE164), shown, episodeReplies.Count - shown.Count, voicemail,
                episode.Any(c => c.HasRecording), Progress(episode[0].Facts)));
        }
        return rows;
    }

    private static List<Chip> Progress(EpisodeFacts facts)
    {
        var chips = new List<Chip>();
        if (facts.OwnerRepliedAt is not null) chips.Add(OwnerWords.YouReplied);
        if (facts.CalledBackAt is not null) chips.Add(OwnerWords.CalledBack);
        if (facts.WonAt is not null) chips.Add(OwnerWords.Booked(facts.JobValueCents));
        return chips;
    }

    private static readonly System.Linq.Expressions.Expression<Func<MissedCall, RawCall>> Raw = c => new RawCall(c.Id, c.ContactId,
        c.EpisodeFirstCallId, c.FromE164, c.FromRaw, c.At, c.LastActivityAt, c.Outcome, c.Transcription, c.RecordingUrl != null,
        new EpisodeFacts(c.OwnerRepliedAt, c.CalledBackAt, c.WonAt, c.JobValueCents), c.CallerName);
}
