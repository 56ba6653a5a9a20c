using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Owners;

/// <summary>A conversation the owner was alerted about, as a reply by SMS can name it: the caller's last four digits.</summary>
public sealed record RelayCandidate(long ContactId, string Phone)
{
    public string LastFour => Phone[^4..];
}

/// <summary>Where an owner's SMS reply goes: one caller (with the words to send), or nowhere yet and why.</summary>
public abstract record RelayDecision
{
    public sealed record Send(RelayCandidate To, string Body) : RelayDecision;
    /// <summary>More than one caller could be meant: the owner is asked to start the reply with their last four digits.</summary>
    public sealed record Ask(IReadOnlyList<RelayCandidate> Candidates) : RelayDecision;
    /// <summary>The digits match no alerted caller, or more than one: the dashboard is the way.</summary>
    public sealed record Unclear : RelayDecision;
    /// <summary>No alert recent enough to be the one answered.</summary>
    public sealed record NoConversation : RelayDecision;
}

/// <summary>
/// Which caller an owner's SMS reply is for, never guessed (docs/product/owner-alerts.md, "Answering by SMS"): a reply
/// that starts with an alerted caller's last four digits goes to that caller; a reply without them goes only when
/// exactly one caller was alerted in the last <see cref="OwnerAlerts.RelayWindow"/>; otherwise the owner is asked.
/// </summary>
public static partial class OwnerReplyRelay
{
    /// <summary>How long after its alert a caller can still be answered by starting the reply with their last four digits.</summary>
    public static readonly TimeSpan DigitsWindow = TimeSpan.FromHours(12);

    private static readonly OutboundKind[] AlertKinds =
        [OutboundKind.OwnerAlert, OutboundKind.OwnerReplyAlert, OutboundKind.OwnerVoicemailAlert, OutboundKind.OwnerEmergencyAlert];

    /// <summary>"0142 on my way", "0142: on my way", "#0142 - on my way": the digits, and the words after them.</summary>
    [GeneratedRegex(@"^\s*#?(?<digits>\d{4})(?:[\s:,.\-]+(?<rest>.*))?$", RegexOptions.Singleline | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex DigitsPrefix();

    /// <summary>The pure decision. <paramref name="recent"/>: callers alerted within the relay window; <paramref name="named"/>: within <see cref="DigitsWindow"/>.</summary>
    public static RelayDecision Decide(string body, IReadOnlyList<RelayCandidate> recent, IReadOnlyList<RelayCandidate> named)
    {
        if (DigitsPrefix().Match(body) is { Success: true } prefix)
        {
            var digits = prefix.Groups["digits"].Value;
            var rest = prefix.Groups["rest"].Value.Trim();
            var matching = named.Where(c => c.LastFour == digits).ToList();
            if (matching.Count > 1) return new RelayDecision.Unclear();
            if (matching.Count == 1) return rest.Length > 0 ? new RelayDecision.Send(matching[0], rest) : new RelayDecision.Unclear();
            // Four digits that name nobody are part of the message ("1530 works for me").
        }
        return recent.Count switch
        {
            0 => new RelayDecision.NoConversation(),
            1 => new RelayDecision.Send(recent[0], body),
            _ => new RelayDecision.Ask(recent),
        };
    }

    public static async Task<RelayDecision> DecideAsync(RecoverlyDb db, long businessId, string body, DateTime now, CancellationToken ct)
    {
        var named = await AlertedSinceAsync(db, businessId, now - DigitsWindow, ct);
        var recentSince = now - OwnerAlerts.RelayWindow;
        var recent = named.Where(c => c.AlertedAt >= recentSince).Select(c => c.Candidate).ToList();
        return Decide(body, recent, named.Select(c => c.Candidate).ToList());
    }

    /// <summary>
    /// Callers whose alert the owner may have read since <paramref name="since"/>, most recent first: sent, or in flight
    /// (an alert being sent counts, so a reply typed while it arrives is never sent on a guess). Queued alerts do not.
    /// </summary>
    private static async Task<List<(RelayCandidate Candidate, DateTime AlertedAt)>> AlertedSinceAsync(RecoverlyDb db, long businessId,
        DateTime since, CancellationToken ct)
    {
        var alerts = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == businessId && AlertKinds.Contains(m.Kind) && m.ContactId != null
                        && (m.SentAt != null || m.Status == OutboundStatus.Sending || m.Status == OutboundStatus.InDoubt)
                        && (m.SentAt ?? m.CreatedAt) >= since)
            .Join(db.Contacts, m => m.ContactId, c => c.Id, (m, c) => new { c.Id, c.Phone, At = m.SentAt ?? m.CreatedAt })
            .ToListAsync(ct);
        return alerts.GroupBy(a => a.Id)
            .Select(g => (new RelayCandidate(g.Key, g.First().Phone), g.Max(a => a.At)))
            .OrderByDescending(c => c.Item2)
            .ToList();
    }
}
