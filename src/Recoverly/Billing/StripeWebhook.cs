using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Stripe;

namespace Recoverly.Billing;

/// <summary>
/// <c>POST /stripe/webhook</c>: read a small body → verify the Stripe-Signature → parse → record the event
/// once (its id is the primary key, so replays change nothing) → move the business's plan, unless a newer
/// event already did (out-of-order deliveries are ignored for the plan state; on PostgreSQL the business row
/// is locked so two events arriving together are applied one after the other).
/// </summary>
public sealed class StripeWebhook(RecoverlyDb db, IWriteGate gate, TimeProvider time, BillingSettings settings, ILogger<StripeWebhook> log)
{
    public const string Path = "/stripe/webhook";
    /// <summary>Stripe's own default: a signed payload older than five minutes is refused (replay window).</summary>
    public const long ToleranceSeconds = 300;
    /// <summary>Stripe's events are a few kilobytes; nothing bigger is read, let alone parsed, before the signature is checked.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static readonly string[] HandledTypes =
    [
        "checkout.session.completed", "checkout.session.async_payment_succeeded", "invoice.paid", "invoice.payment_failed",
        "customer.subscription.updated", "customer.subscription.deleted",
    ];

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost(Path, (HttpRequest request, StripeWebhook webhook, CancellationToken ct) => webhook.HandleAsync(request, ct));

    /// <summary>The body as text, or null when it is larger than <see cref="MaxBodyBytes"/> (only that much plus one byte is read).</summary>
    private static async Task<string?> ReadSmallBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxBodyBytes) return null;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = MaxBodyBytes;
        var buffer = new byte[MaxBodyBytes + 1];
        var read = 0;
        try
        {
            while (read < buffer.Length && await request.Body.ReadAsync(buffer.AsMemory(read), ct) is var n and > 0) read += n;
        }
        catch (BadHttpRequestException)
        {
            return null; // the server's own limit stopped a body without a Content-Length
        }
        return read > MaxBodyBytes ? null : Encoding.UTF8.GetString(buffer, 0, read);
    }

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken ct)
    {
        if (settings.StripeWebhookSecret is not { } secret)
        {
            log.LogError("Stripe webhook refused: Stripe:WebhookSecret is not configured");
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
        if (await ReadSmallBodyAsync(request, ct) is not { } json) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);

        Event stripeEvent;
        try
        {
            stripeEvent = EventUtility.ConstructEvent(json, request.Headers["Stripe-Signature"].ToString(), secret,
                ToleranceSeconds, time.GetUtcNow().ToUnixTimeSeconds(), throwOnApiVersionMismatch: false);
        }
        catch (Exception e) when (e is StripeException or System.Text.Json.JsonException or Newtonsoft.Json.JsonException or ArgumentException)
        {
            log.LogWarning("Stripe webhook refused: {Reason}", e.Message);
            return Results.BadRequest();
        }

        var applied = await ApplyAsync(stripeEvent, ct);
        log.LogInformation("Stripe event {EventId} {Type}: {Result}", stripeEvent.Id, stripeEvent.Type, applied);
        return Results.Ok();
    }

    public enum Applied { Recorded, PlanChanged, Stale, Replay }

    public async Task<Applied> ApplyAsync(Event stripeEvent, CancellationToken ct)
    {
        if (await db.BillingEvents.AnyAsync(e => e.StripeEventId == stripeEvent.Id, ct)) return Applied.Replay;
        var refs = References(stripeEvent);
        var created = DateTime.SpecifyKind(stripeEvent.Created, DateTimeKind.Utc);

        using var _ = await gate.EnterAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var business = await FindBusinessAsync(refs, ct);
        if (business is not null && db.Provider == DatabaseProvider.Postgres)
        {
            // Another event for this business waits here until this one commits, then sees the plan it left (SQLite has one writer).
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM \"Businesses\" WHERE \"Id\" = {business.Id} FOR UPDATE", ct);
            await db.Entry(business).ReloadAsync(ct);
        }
        db.BillingEvents.Add(new BillingEvent
        {
            StripeEventId = stripeEvent.Id,
            Type = stripeEvent.Type.Length <= 100 ? stripeEvent.Type : stripeEvent.Type[..100],
            BusinessId = business?.Id,
            EventCreatedAt = created,
            ReceivedAt = time.GetUtcNow().UtcDateTime,
        });
        var result = Applied.Recorded;
        if (business is not null)
        {
            result = Transition(business, stripeEvent.Type, refs.SubscriptionStatus, refs.PaymentStatus, created);
            // Link the Stripe ids whatever the order, so later events find the business; a stale event never replaces a newer subscription.
            business.StripeCustomerId ??= refs.CustomerId;
            if (refs.SubscriptionId is not null && (business.StripeSubscriptionId is null || result == Applied.PlanChanged))
                business.StripeSubscriptionId = refs.SubscriptionId;
        }
        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same event delivered twice at once: its primary key let exactly one through.
            await tx.RollbackAsync(CancellationToken.None);
            db.ChangeTracker.Clear();
            if (await db.BillingEvents.AnyAsync(e => e.StripeEventId == stripeEvent.Id, ct)) return Applied.Replay;
            throw;
        }
        return result;
    }

    /// <summary>
    /// The plan state machine. Founding is for life: Stripe never changes it. A completed checkout activates the
    /// plan only when it was paid; a delayed payment activates it when it succeeds (or its invoice is paid).
    /// </summary>
    internal static Applied Transition(Business business, string type, string? subscriptionStatus, string? paymentStatus, DateTime created)
    {
        if (business.Plan == PlanState.Founding) return Applied.Recorded;
        if (business.PlanChangedAt is { } last && created < last) return Applied.Stale;
        PlanState? next = type switch
        {
            "checkout.session.completed" => paymentStatus == "paid" ? PlanState.Active : null,
            "checkout.session.async_payment_succeeded" or "invoice.paid" => PlanState.Active,
            "invoice.payment_failed" => PlanState.PastDue,
            "customer.subscription.deleted" => PlanState.Canceled,
            "customer.subscription.updated" => subscriptionStatus switch
            {
                "active" or "trialing" => PlanState.Active,
                "past_due" or "unpaid" => PlanState.PastDue,
                "canceled" or "incomplete_expired" or "paused" => PlanState.Canceled,
                _ => null, // "incomplete": the first payment is still being attempted
            },
            _ => null,
        };
        if (next is not { } plan) return Applied.Recorded;
        // Grace runs from the first failure, not from each retry's failure.
        business.PastDueSince = plan == PlanState.PastDue ? (business.Plan == PlanState.PastDue ? business.PastDueSince ?? created : created) : null;
        business.Plan = plan;
        business.PlanChangedAt = created;
        return Applied.PlanChanged;
    }

    private sealed record StripeRefs(long? BusinessId, string? CustomerId, string? SubscriptionId, string? SubscriptionStatus,
        string? PaymentStatus = null);

    private static StripeRefs References(Event stripeEvent) => stripeEvent.Data?.Object switch
    {
        Stripe.Checkout.Session s => new(ParseId(s.ClientReferenceId) ?? ParseId(s.Metadata), s.CustomerId, s.SubscriptionId, null, s.PaymentStatus),
        Invoice i => new(ParseId(i.Parent?.SubscriptionDetails?.Metadata), i.CustomerId, i.Parent?.SubscriptionDetails?.SubscriptionId, null),
        Subscription sub => new(ParseId(sub.Metadata), sub.CustomerId, sub.Id, sub.Status),
        _ => new(null, null, null, null),
    };

    private static long? ParseId(IDictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue(StripeCheckout.BusinessMetadataKey, out var id) ? ParseId(id) : null;

    private static long? ParseId(string? id) => long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private async Task<Business?> FindBusinessAsync(StripeRefs refs, CancellationToken ct)
    {
        if (refs.BusinessId is { } id && await db.Businesses.FirstOrDefaultAsync(b => b.Id == id, ct) is { } byId) return byId;
        if (refs.CustomerId is { } customer && await db.Businesses.FirstOrDefaultAsync(b => b.StripeCustomerId == customer, ct) is { } byCustomer)
            return byCustomer;
        if (refs.SubscriptionId is { } sub) return await db.Businesses.FirstOrDefaultAsync(b => b.StripeSubscriptionId == sub, ct);
        return null;
    }
}
