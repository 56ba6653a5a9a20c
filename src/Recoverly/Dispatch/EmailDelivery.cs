using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>
/// Owner e-mail (alerts, the weekly summary): sent to the address the business has now, only while that e-mail is
/// still wanted (e-mail alerts on, or the weekly summary on).
/// A failed attempt is retried with backoff until the row expires; a duplicate e-mail is harmless, so
/// an unknown outcome is simply retried.
/// </summary>
public sealed class EmailDelivery(IServiceProvider services, ILogger<EmailDelivery> log)
{
    public async Task DeliverAsync(RecoverlyDb db, OutboxLeases leases, ClaimedRow row, DateTime now, TimeSpan lease, CancellationToken ct)
    {
        var business = await db.Businesses.AsNoTracking().Where(b => b.Id == row.BusinessId)
            .Select(b => new { b.OwnerEmail, b.EmailAlerts, b.WeeklySummary, b.DeletedAt }).FirstOrDefaultAsync(ct);
        // Each e-mail has its own switch: alerts by e-mail, or the weekly summary.
        var summary = row.Kind == OutboundKind.OwnerSummaryEmail;
        var wanted = summary ? business?.WeeklySummary == true : business?.EmailAlerts == true;
        if (!wanted || business is not { DeletedAt: null, OwnerEmail: { Length: > 0 } to })
        {
            await leases.EndAsync(db, row.Id, OutboundStatus.Cancelled, summary ? OutboxReason.WeeklySummaryOff : OutboxReason.EmailAlertsOff, ct);
            return;
        }
        if (!(await leases.FenceAsync(db, [row.Id], now, lease, ct)).Contains(row.Id))
        {
            await leases.EndAsync(db, row.Id, OutboundStatus.Expired, OutboxReason.NotSentInTime, ct);
            return;
        }
        var mailer = services.GetService<IMailer>() ?? throw new InvalidOperationException("No mailer is configured in this process");
        var newline = row.Body.IndexOf('\n', StringComparison.Ordinal);
        var subject = newline < 0 ? row.Body : row.Body[..newline];
        AfterSend after;
        await db.ReleaseConnectionAsync();
        try
        {
            await mailer.SendAsync(to, subject.Length <= 200 ? subject : subject[..197] + "...", row.Body, ct);
            after = new AfterSend(OutboundStatus.Sent, row.Attempts + 1, null, null, "emailed", null, OutboxReason.None, now, null);
            log.LogInformation("Outbox {Id} ({Kind}): emailed", row.Id, row.Kind);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogWarning(e, "Outbox {Id}: email failed; will retry", row.Id);
            after = new AfterSend(OutboundStatus.Pending, row.Attempts + 1, now + DispatchOptions.Backoff(row.Attempts + 1), null, null, null,
                OutboxReason.EmailRetrying, null, null);
        }
        await SendCompletion.ApplyAsync(db, leases, row.Id, after, now, CancellationToken.None);
    }
}
