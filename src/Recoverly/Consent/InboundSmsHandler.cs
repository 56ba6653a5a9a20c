using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Operator;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Consent;

/// <param name="ProviderAnswered">The keyword the provider answered itself (<see cref="ProviderKeywords"/>): STOP, START, HELP or null.</param>
/// <param name="ReportedByProvider">The keyword type the provider named on the webhook, if any (Twilio <c>OptOutType</c>).</param>
/// <param name="ProviderAnsweredUnexpectedly">The provider says it answered while Recoverly is set to answer: the operator must fix a setting.</param>
public sealed record IncomingSms(string MessageSid, string From, string To, string Body, string? ProviderAnswered,
    string? ReportedByProvider = null, bool ProviderAnsweredUnexpectedly = false);

/// <summary>
/// What happens when a text arrives (docs/product/consent.md): STOP, START, HELP or conversation from a caller,
/// and YES / STOP / HELP / replies from the owner. One transaction records the message, the consent
/// event and any answer (queued in the outbox, never sent from here).
/// </summary>
public sealed class InboundSmsHandler(RecoverlyDb db, TimeProvider time, IOptions<TwilioOptions> twilio,
    PublicUrls urls, DispatchSignal signal, OwnerTextPolicy policy, ILogger<InboundSmsHandler> log)
{
    /// <summary>One confirmation may follow an opt-out within five minutes; later it would be a new, unwanted text.</summary>
    public static readonly TimeSpan OptOutConfirmationWindow = TimeSpan.FromMinutes(5);

    public async Task HandleAsync(IncomingSms sms, CancellationToken ct)
    {
        var business = await BusinessByNumber.FindAsync(db, sms.To, ct);
        if (business is null) return;
        if (Phones.ParseCaller(sms.From) is not { Kind: CallerIdKind.Number, E164: { } from }) return;
        if (await db.InboundMessages.AnyAsync(m => m.MessageSid == sms.MessageSid, ct)) return;

        InboundIntent intent;
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            var now = time.GetUtcNow().UtcDateTime;
            var context = new Inbound(business, sms, from, now);
            if (sms.ProviderAnsweredUnexpectedly)
            {
                log.LogWarning("Inbound SMS {MessageSid}: the provider answered a keyword itself but Twilio:KeywordReplies is Recoverly; set it to Provider", sms.MessageSid);
                await OperatorNotices.RaiseAsync(db, OperatorNotices.KeywordRepliesMismatch, OperatorNotices.ProviderAnsweredInRecoverlyMode, now, ct);
            }
            intent = from == business.OwnerPhone
                ? await FromOwnerAsync(context, ct)
                : await FromCallerAsync(context, ct);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear();
                if (await db.InboundMessages.AsNoTracking().AnyAsync(m => m.MessageSid == sms.MessageSid, ct)) return; // a concurrent retry won
                throw;
            }
            await tx.CommitAsync(ct);
        }
        log.LogInformation("Inbound SMS {MessageSid} for business {BusinessId} from {Sender}: {Intent}",
            sms.MessageSid, business.Id, Phones.Mask(from), intent);
        signal.Notify();
    }

    private sealed record Inbound(Business Business, IncomingSms Sms, string From, DateTime Now)
    {
        public ConsentEvidence Evidence => ConsentEvidence.FromMessage(Sms.MessageSid, Sms.Body);
    }

    /// <summary>The provider already answered this intent, so Recoverly's answer would be a second one (or be refused).</summary>
    private bool ProviderAnswered(Inbound m, InboundIntent intent) =>
        twilio.Value.AdvancedOptOut || ProviderIntent(m.Sms.ProviderAnswered) == intent;

    /// <summary>STOP, START, HELP or a conversation from a caller (docs/product/consent.md).</summary>
    private async Task<InboundIntent> FromCallerAsync(Inbound m, CancellationToken ct)
    {
        var (business, sms, from, now) = m;
        var contact = await ContactsFor.UpsertAsync(db, business.Id, from, now, ct);
        var state = await ConsentLedger.CallerStateAsync(db, business.Id, from, ct);
        var intent = Intent(sms, state == CallerConsent.OptedOut);
        var providerAnswers = ProviderAnswered(m, intent);
        Store(m, contact.Id, intent, fromOwner: false);

        switch (intent)
        {
            case InboundIntent.OptOut:
                // A repeated STOP gets no second confirmation; neither does one the provider already answered.
                if (await CallerConsentChanges.OptOutAsync(db, business.Id, from, m.Evidence, now, ct) && !providerAnswers)
                    Answer(m, contact.Id, OutboundKind.OptOutConfirmation, TextTemplates.OptOutConfirmation(business.Name),
                        expiresAt: now + OptOutConfirmationWindow);
                break;
            case InboundIntent.OptIn:
                await CallerConsentChanges.OptInAsync(db, business.Id, from, m.Evidence, now, ct);
                if (!providerAnswers)
                    Answer(m, contact.Id, OutboundKind.OptInConfirmation, TextTemplates.OptInConfirmation(business.Name));
                break;
            case InboundIntent.Help:
                CallerConsentChanges.RecordHelp(db, business.Id, from, m.Evidence, now);
                if (!providerAnswers)
                    Answer(m, contact.Id, OutboundKind.HelpReply, TextTemplates.HelpReply(business));
                break;
            default:
                await ConversationActivity.CallerRepliedAsync(db, contact.Id, now, ct);
                await db.SaveChangesAsync(ct); // the reply alert reads this message back
                // An emergency word alerts at once (docs/product/owner-alerts.md, "Emergencies"); past its cap, the ordinary way.
                if (EmergencyWords.Match(sms.Body, EmergencyWords.For(business)) is { } word
                    && await OwnerAlerts.QueueEmergencyReplyAsync(db, business, contact, sms.Body, word, sms.To, urls, now, ct))
                    break;
                await OwnerAlerts.QueueReplyAlertAsync(db, business, contact, sms.To, urls, now, ct);
                break;
        }
        return intent;
    }

    /// <summary>YES / STOP / HELP about alerts, or a reply to relay, from the owner's phone (docs/product/owner-alerts.md).</summary>
    private async Task<InboundIntent> FromOwnerAsync(Inbound m, CancellationToken ct)
    {
        var (business, sms, from, now) = m;
        var state = await OwnerAlertSubscription.StateAsync(db, business.Id, from, ct);
        var awaitingYes = state is OwnerAlertConsent.Requested or OwnerAlertConsent.OptedOut;
        var intent = Intent(sms, awaitingYes);
        var providerAnswers = ProviderAnswered(m, intent);
        Store(m, null, intent, fromOwner: true);

        switch (intent)
        {
            case InboundIntent.OptOut:
                if (await OwnerAlertSubscription.TurnOffAsync(db, business.Id, from, m.Evidence, now, ct) && !providerAnswers)
                    Answer(m, null, OutboundKind.OwnerConfirmation, TextTemplates.OwnerAlertsOff(business.Name), now + OptOutConfirmationWindow);
                break;
            case InboundIntent.OptIn:
                // Alerts already on, or never requested: nothing to confirm, and a keyword is never relayed to a caller.
                // Sent even when the provider answered YES itself: only ours says which alerts follow and how to stop them.
                if (await OwnerAlertSubscription.ConfirmAsync(db, business.Id, from, m.Evidence, now, ct))
                    Answer(m, null, OutboundKind.OwnerConfirmation, TextTemplates.OwnerAlertsOn(business.Name));
                break;
            case InboundIntent.Help:
                if (!providerAnswers) Answer(m, null, OutboundKind.OwnerConfirmation, TextTemplates.OwnerHelp(business.Name));
                break;
            default:
                await RelayOwnerReplyAsync(m, ct);
                break;
        }
        return intent;
    }

    /// <summary>
    /// An owner's reply to an alert goes to the caller it names (docs/product/owner-alerts.md, "Answering by SMS"), through
    /// the same owner-text rules as a reply from the app. Anything unclear or refused gets one notice back and reaches no caller.
    /// </summary>
    private async Task RelayOwnerReplyAsync(Inbound m, CancellationToken ct)
    {
        switch (await OwnerReplyRelay.DecideAsync(db, m.Business.Id, m.Sms.Body, m.Now, ct))
        {
            case RelayDecision.Send send:
                if (await ContactActions.GateReplyAsync(db, m.Business, send.To.Phone, policy, m.Now, ct) is { } refusal)
                {
                    Answer(m, null, OutboundKind.OwnerNotice,
                        TextTemplates.OwnerReplyNotSent(send.To.Phone, OwnerTexting.Words(refusal, OwnerTextKind.Reply, send.To.Phone)));
                    return;
                }
                Outbox.Enqueue(db, new OutboxItem(m.Business.Id, OutboundKind.OwnerReply, send.To.Phone, m.Sms.To, send.Body)
                {
                    ContactId = send.To.ContactId,
                    DedupeKey = $"relay:{m.Sms.MessageSid}",
                }, m.Now);
                await ConversationActivity.OwnerRepliedAsync(db, send.To.ContactId, m.Now, ct);
                return;
            case RelayDecision.Ask ask:
                Answer(m, null, OutboundKind.OwnerNotice, TextTemplates.OwnerWhichCaller(ask.Candidates.Select(c => (c.LastFour, c.Phone)).ToList()));
                return;
            case RelayDecision.Unclear:
                Answer(m, null, OutboundKind.OwnerNotice, TextTemplates.OwnerDigitsUnclear(urls.For(OwnerAlerts.InboxPath)));
                return;
            default:
                Answer(m, null, OutboundKind.OwnerNotice, TextTemplates.OwnerUseDashboard(urls.For(OwnerAlerts.InboxPath)));
                return;
        }
    }

    private void Store(Inbound m, long? contactId, InboundIntent intent, bool fromOwner) =>
        db.InboundMessages.Add(new InboundMessage
        {
            BusinessId = m.Business.Id,
            ContactId = contactId,
            MessageSid = m.Sms.MessageSid,
            From = m.From,
            To = m.Sms.To,
            Body = m.Sms.Body.Length <= 1600 ? m.Sms.Body : m.Sms.Body[..1600],
            At = m.Now,
            Intent = intent,
            FromOwner = fromOwner,
        });

    /// <summary>The one answer an inbound message may get, back to its sender from the number it texted.</summary>
    private void Answer(Inbound m, long? contactId, OutboundKind kind, string body, DateTime? expiresAt = null) =>
        Outbox.Enqueue(db, new OutboxItem(m.Business.Id, kind, m.From, m.Sms.To, body)
        {
            ContactId = contactId,
            DedupeKey = $"answer:{m.Sms.MessageSid}",
            ExpiresAt = expiresAt,
        }, m.Now);

    /// <summary>
    /// A provider's STOP always counts as an opt-out (it now blocks the phone, and the ledger must agree), as does any
    /// keyword it names itself; otherwise Recoverly's reading stands ("Yes" from a caller who never opted out is a reply).
    /// </summary>
    private static InboundIntent Intent(IncomingSms sms, bool awaitingOptIn) =>
        ProviderIntent(sms.ReportedByProvider)
        ?? (ProviderIntent(sms.ProviderAnswered) == InboundIntent.OptOut ? InboundIntent.OptOut : (InboundIntent?)null)
        ?? KeywordClassifier.Classify(sms.Body, awaitingOptIn);

    private static InboundIntent? ProviderIntent(string? keyword) => keyword?.Trim().ToUpperInvariant() switch
    {
        "STOP" => InboundIntent.OptOut,
        "START" => InboundIntent.OptIn,
        "HELP" or "INFO" => InboundIntent.Help,
        _ => null,
    };
}
