using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Billing;

public class StripeBillingTests
{
    private const string WebhookSecret = "whsec_test_0123456789abcdef";
    private const string Caller = "+15125550142";

    private static Dictionary<string, string?> Stripe(string? apiBase = null) => new()
    {
        ["Billing:Provider"] = "Stripe",
        ["Stripe:SecretKey"] = "sk_test_recoverly",
        ["Stripe:WebhookSecret"] = WebhookSecret,
        ["Stripe:PriceId"] = "price_29_monthly",
        ["Stripe:ApiBaseUrl"] = apiBase,
    };

    // ---- Stripe's signing scheme: t=timestamp,v1=hex(HMAC-SHA256(secret, "{t}.{payload}")) ----

    private static string Sign(string payload, long timestamp, string secret = WebhookSecret)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{payload}"));
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }

    private static Task<HttpResponseMessage> PostWebhookAsync(TestApp app, string payload, string? signature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/stripe/webhook") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.Add("Stripe-Signature", signature ?? Sign(payload, app.Time.GetUtcNow().ToUnixTimeSeconds()));
        return app.Http.SendAsync(request);
    }

    private static string Event(string id, string type, DateTime created, object data) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["id"] = id, ["object"] = "event", ["api_version"] = "2025-06-30.basil", ["livemode"] = false, ["pending_webhooks"] = 1,
        ["created"] = new DateTimeOffset(created).ToUnixTimeSeconds(), ["type"] = type, ["data"] = new Dictionary<string, object?> { ["object"] = data },
    });

    private static Dictionary<string, object?> CheckoutCompleted(long businessId, string customer = "cus_1", string subscription = "sub_1",
        string paymentStatus = "paid") => new()
    {
        ["id"] = "cs_test_1", ["object"] = "checkout.session", ["mode"] = "subscription", ["status"] = "complete", ["payment_status"] = paymentStatus,
        ["client_reference_id"] = businessId.ToString(CultureInfo.InvariantCulture), ["customer"] = customer, ["subscription"] = subscription,
    };

    private static object Invoice(string status) => new Dictionary<string, object?>
    {
        ["id"] = "in_" + Guid.NewGuid().ToString("N")[..10], ["object"] = "invoice", ["customer"] = "cus_1", ["status"] = status,
        ["parent"] = new Dictionary<string, object?>
        {
            ["type"] = "subscription_details",
            ["subscription_details"] = new Dictionary<string, object?> { ["subscription"] = "sub_1" },
        },
    };

    private static object Subscription(string status, long? businessId = null, string customer = "cus_1", string subscription = "sub_1") => new Dictionary<string, object?>
    {
        ["id"] = subscription, ["object"] = "subscription", ["customer"] = customer, ["status"] = status,
        ["metadata"] = businessId is { } id ? new Dictionary<string, string> { ["business_id"] = id.ToString(CultureInfo.InvariantCulture) } : new Dictionary<string, string>(),
    };

    private static Task<Business> BusinessAsync(TestApp app, long id) => app.QueryAsync(d => d.Businesses.AsNoTracking().SingleAsync(b => b.Id == id));

    // ---- Signature ----

    [Theory]
    [BothDatabases]
    public async Task Forged_webhook_is_refused_and_changes_nothing(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Stripe());
        var business = await app.AddBusinessAsync();
        var now = app.Time.GetUtcNow();
        var payload = Event("evt_forged", "checkout.session.completed", now.UtcDateTime, CheckoutCompleted(business.Id));

        var wrongSecret = await PostWebhookAsync(app, payload, Sign(payload, now.ToUnixTimeSeconds(), "whsec_attacker"));
        var tampered = await PostWebhookAsync(app, payload.Replace("\"cus_1\"", "\"cus_evil\""), Sign(payload, now.ToUnixTimeSeconds()));
        var stale = await PostWebhookAsync(app, payload, Sign(payload, now.ToUnixTimeSeconds() - 301));
        var unsigned = await PostWebhookAsync(app, payload, "");
        var garbage = await PostWebhookAsync(app, "not json", Sign("not json", now.ToUnixTimeSeconds()));

        Assert.All(new[] { wrongSecret, tampered, stale, unsigned, garbage }, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.Equal(0, await app.QueryAsync(d => d.BillingEvents.CountAsync()));
        var after = await BusinessAsync(app, business.Id);
        Assert.Equal(PlanState.Trial, after.Plan);
        Assert.Null(after.StripeCustomerId);
        Assert.Null(after.PlanChangedAt);

        // The same payload, correctly signed and fresh, is accepted.
        Assert.Equal(HttpStatusCode.OK, (await PostWebhookAsync(app, payload)).StatusCode);
        Assert.Equal(PlanState.Active, (await BusinessAsync(app, business.Id)).Plan);
    }

    [Fact]
    public async Task Webhook_signature_tolerance_follows_the_apps_clock()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Stripe());
        var business = await app.AddBusinessAsync();
        var signedAt = app.Time.GetUtcNow().ToUnixTimeSeconds();
        var first = Event("evt_clock_1", "checkout.session.completed", app.Time.GetUtcNow().UtcDateTime, CheckoutCompleted(business.Id));
        var second = Event("evt_clock_2", "invoice.paid", app.Time.GetUtcNow().UtcDateTime, Invoice("paid"));

        app.Time.Advance(TimeSpan.FromSeconds(299));
        Assert.Equal(HttpStatusCode.OK, (await PostWebhookAsync(app, first, Sign(first, signedAt))).StatusCode);
        app.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.BadRequest, (await PostWebhookAsync(app, second, Sign(second, signedAt))).StatusCode);
        Assert.Equal(1, await app.QueryAsync(d => d.BillingEvents.CountAsync()));
    }

    // ---- Plan state ----

    [Theory]
    [BothDatabases]
    public async Task Checkout_payment_failure_and_recovery_move_the_plan(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Stripe());
        var business = await app.AddBusinessAsync();
        var t0 = app.Time.GetUtcNow().UtcDateTime;

        Assert.Equal(HttpStatusCode.OK, (await PostWebhookAsync(app, Event("evt_1", "checkout.session.completed", t0, CheckoutCompleted(business.Id)))).StatusCode);
        var active = await BusinessAsync(app, business.Id);
        Assert.Equal(PlanState.Active, active.Plan);
        Assert.Equal("cus_1", active.StripeCustomerId);
        Assert.Equal("sub_1", active.StripeSubscriptionId);

        await PostWebhookAsync(app, Event("evt_2", "invoice.payment_failed", t0.AddDays(30), Invoice("open")));
        var pastDue = await BusinessAsync(app, business.Id);
        Assert.Equal(PlanState.PastDue, pastDue.Plan);
        Assert.Equal(t0.AddDays(30), pastDue.PastDueSince);
        Assert.True(Entitlement.MayText(pastDue, t0.AddDays(36), billingEnabled: true));
        Assert.False(Entitlement.MayText(pastDue, t0.AddDays(37).AddSeconds(1), billingEnabled: true));

        // A retry that fails again does not restart the grace period.
        await PostWebhookAsync(app, Event("evt_3", "customer.subscription.updated", t0.AddDays(33), Subscription("past_due")));
        Assert.Equal(t0.AddDays(30), (await BusinessAsync(app, business.Id)).PastDueSince);

        await PostWebhookAsync(app, Event("evt_4", "invoice.paid", t0.AddDays(34), Invoice("paid")));
        var recovered = await BusinessAsync(app, business.Id);
        Assert.Equal(PlanState.Active, recovered.Plan);
        Assert.Null(recovered.PastDueSince);

        await PostWebhookAsync(app, Event("evt_5", "customer.subscription.deleted", t0.AddDays(60), Subscription("canceled")));
        Assert.Equal(PlanState.Canceled, (await BusinessAsync(app, business.Id)).Plan);
        Assert.Equal(5, await app.QueryAsync(d => d.BillingEvents.CountAsync(e => e.BusinessId == business.Id)));
    }

    [Theory]
    [BothDatabases]
    public async Task Replayed_event_changes_nothing(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Stripe());
        var business = await app.AddBusinessAsync();
        var t0 = app.Time.GetUtcNow().UtcDateTime;
        await PostWebhookAsync(app, Event("evt_1", "checkout.session.completed", t0, CheckoutCompleted(business.Id)));
        var failed = Event("evt_2", "invoice.payment_failed", t0.AddDays(30), Invoice("open"));
        await PostWebhookAsync(app, failed);
        var before = await BusinessAsync(app, business.Id);

        // Stripe redelivers the failure a day later (same event id), many times at once.
        app.Time.Advance(TimeSpan.FromDays(1));
        var replays = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostWebhookAsync(app, failed)));

        Assert.All(replays, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var after = await BusinessAsync(app, business.Id);
        Assert.Equal(PlanState.PastDue, after.Plan);
        Assert.Equal(before.PastDueSince, after.PastDueSince);
        Assert.Equal(before.PlanChangedAt, after.PlanChangedAt);
        Assert.Equal(2, await app.QueryAsync(d => d.BillingEvents.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Out_of_order_events_leave_the_newest_state(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Stripe());
        var business = await app.AddBusinessAsync();
        var t0 = app.Time.GetUtcNow().UtcDateTime;

        // Created order: checkout (t0) → payment failed (t0+30d) → subscription deleted (t0+40d).
        // Delivered order: deleted, then the subscription's checkout, then the older payment failure.
        await PostWebhookAsync(app, Event("evt_del", "customer.subscription.deleted", t0.AddDays(40), Subscription("canceled", business.Id)));
        await PostWebhookAsync(app, Event("evt_co", "checkout.session.completed", t0, CheckoutCompleted(business.Id)));
        await PostWebhookAsync(app, Event("evt_fail", "invoice.payment_failed", t0.AddDays(30), Invoice("open")));

        var after = await BusinessAsync(app, business.Id);
        Assert.Equal(PlanState.Canceled, after.Plan);
        Assert.Equal(t0.AddDays(40), after.PlanChangedAt);
        Assert.Null(after.PastDueSince);
        Assert.Equal("cus_1", after.StripeCustomerId); // the late checkout still links the customer
        Assert.Equal(3, await app.QueryAsync(d => d.BillingEvents.CountAsync(e => e.BusinessId == business.Id)));
        Assert.False(Entitlement.MayText(after, app.Time.GetUtcNow().UtcDateTime, billingEnabled: true));
    }

    [Theory]
    [BothDatabases]
    public async Task The_same_new_event_delivered_many_times_at_once_is_applied_once(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Stripe());
        var business = await app.AddBusinessAsync();
        var t0 = app.Time.GetUtcNow().UtcDateTime;
        await PostWebhookAsync(app, Event("evt_1", "checkout.session.completed", t0, CheckoutCompleted(business.Id)));

        // Stripe's first delivery and its retries overlap: none of them finds the event already recorded.
        var failed = Event("evt_2", "invoice.payment_failed", t0.AddDays(30), Invoice("open"));
        var deliveries = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostWebhookAsync(app, failed)));

        Assert.Equal(10, deliveries.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(["evt_1", "evt_2"], await app.QueryAsync(d => d.BillingEvents.OrderBy(e => e.StripeEventId).Select(e => e.StripeEventId).ToListAsync()));
        var after = await BusinessAsync(app, business.Id);
        Assert.Equal((PlanState.PastDue, t0.AddDays(30), t0.AddDays(30)), (after.Plan, after.PastDueSince, after.PlanChangedAt));
    }

    [Theory]
    [BothDatabases]
    public async Task Different_events_for_a_business_delivered_at_once_leave_the_newest_state(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Stripe());
        var t0 = app.Time.GetUtcNow().UtcDateTime;
        // Several businesses at once, each with its own customer: a lost update gets many chances to show.
        var businesses = new List<Business>();
        for (var i = 0; i < 5; i++)
            businesses.Add(await app.AddBusinessAsync($"Shop {i}", number: $"+1512555020{i}", businessPhone: $"+1512555030{i}"));
        var deliveries = businesses.SelectMany(b =>
        {
            var (customer, subscription) = ($"cus_{b.Id}", $"sub_{b.Id}");
            // Created: checkout (t0) → active again (t0+20d) → past due (t0+35d) → deleted (t0+40d); delivered all at once.
            return new[]
            {
                Event($"evt_{b.Id}_checkout", "checkout.session.completed", t0, CheckoutCompleted(b.Id, customer, subscription)),
                Event($"evt_{b.Id}_active", "customer.subscription.updated", t0.AddDays(20), Subscription("active", b.Id, customer, subscription)),
                Event($"evt_{b.Id}_past_due", "customer.subscription.updated", t0.AddDays(35), Subscription("past_due", b.Id, customer, subscription)),
                Event($"evt_{b.Id}_deleted", "customer.subscription.deleted", t0.AddDays(40), Subscription("canceled", b.Id, customer, subscription)),
            };
        }).ToList();

        var responses = await Task.WhenAll(deliveries.Select(payload => PostWebhookAsync(app, payload)));

        Assert.Equal(deliveries.Count, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        foreach (var b in businesses)
        {
            var after = await BusinessAsync(app, b.Id);
            Assert.Equal((b.Id, PlanState.Canceled, t0.AddDays(40), (DateTime?)null, $"cus_{b.Id}"),
                (after.Id, after.Plan, after.PlanChangedAt, after.PastDueSince, after.StripeCustomerId));
            Assert.Equal(4, await app.QueryAsync(d => d.BillingEvents.CountAsync(e => e.BusinessId == b.Id)));
        }
    }

    [Fact]
    public async Task Stripe_never_changes_a_founding_business()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Stripe());
        var business = await app.AddBusinessAsync();
        await app.SetUpForRealAsync(business.Id);
        Assert.Equal(FoundingOutcome.Granted, (await app.WithScopeAsync(sp => sp.GetRequiredService<FoundingProgram>().ClaimAsync(business.Id))).Outcome);

        await PostWebhookAsync(app, Event("evt_del", "customer.subscription.deleted", app.Time.GetUtcNow().UtcDateTime, Subscription("canceled", business.Id)));

        Assert.Equal(PlanState.Founding, (await BusinessAsync(app, business.Id)).Plan);
    }

    [Fact]
    public async Task Event_for_no_known_business_is_recorded_and_answered_200()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Stripe());

        var response = await PostWebhookAsync(app, Event("evt_other", "invoice.paid", app.Time.GetUtcNow().UtcDateTime, Invoice("paid")));
        var ignored = await PostWebhookAsync(app, Event("evt_ping", "customer.created", app.Time.GetUtcNow().UtcDateTime,
            new Dictionary<string, object?> { ["id"] = "cus_9", ["object"] = "customer" }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ignored.StatusCode);
        Assert.Equal(2, await app.QueryAsync(d => d.BillingEvents.CountAsync(e => e.BusinessId == null)));
    }

    // ---- Entitlement in the call flow ----

    [Theory]
    [BothDatabases]
    public async Task Expired_trial_stops_text_backs_but_keeps_recording(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Stripe());
        await app.AddBusinessAsync("Acme Plumbing");

        app.Time.Advance(TimeSpan.FromDays(15));
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller));
        await app.DispatchAsync();

        var call = await app.QueryAsync(d => d.MissedCalls.SingleAsync());
        Assert.Equal(CallOutcome.Inactive, call.Outcome);
        Assert.Empty(app.Twilio.SentTo(Caller));
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.TextBack)));
    }

    [Fact]
    public async Task Trial_texts_on_day_14_and_billing_none_texts_forever()
    {
        await using (var app = await TestApp.StartAsync(Db.Sqlite, Stripe()))
        {
            await app.AddBusinessAsync();
            app.Time.Advance(TimeSpan.FromDays(13.9));
            await app.MissedCallAsync(Caller);
            Assert.Equal(CallOutcome.Texted, (await app.QueryAsync(d => d.MissedCalls.SingleAsync())).Outcome);
        }
        await using (var app = await TestApp.StartAsync(Db.Sqlite))
        {
            await app.AddBusinessAsync();
            app.Time.Advance(TimeSpan.FromDays(400));
            await app.MissedCallAsync(Caller);
            Assert.Equal(CallOutcome.Texted, (await app.QueryAsync(d => d.MissedCalls.SingleAsync())).Outcome);
        }
    }

    [Fact]
    public async Task Past_due_beyond_the_grace_period_stops_text_backs()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Stripe());
        var business = await app.AddBusinessAsync();
        var t0 = app.Time.GetUtcNow().UtcDateTime;
        await PostWebhookAsync(app, Event("evt_1", "checkout.session.completed", t0, CheckoutCompleted(business.Id)));
        await PostWebhookAsync(app, Event("evt_2", "invoice.payment_failed", t0, Invoice("open")));

        app.Time.Advance(TimeSpan.FromDays(6));
        await app.MissedCallAsync(Caller);
        app.Time.Advance(TimeSpan.FromDays(2));
        await app.MissedCallAsync("+15125550143");

        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Texted, CallOutcome.Inactive], outcomes);
    }

    // ---- Owner pages ----

    [Fact]
    public async Task Billing_pages_and_webhook_do_not_exist_without_a_billing_provider()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var business = await app.AddBusinessAsync();
        using var owner = await OwnerClient.SignInAsync(app, business.Id);

        Assert.Equal(HttpStatusCode.NotFound, (await owner.Http.GetAsync("/app/billing")).StatusCode);
        var webhook = await PostWebhookAsync(app, Event("evt_1", "checkout.session.completed", app.Time.GetUtcNow().UtcDateTime, CheckoutCompleted(business.Id)));
        Assert.True(webhook.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{webhook.StatusCode}");
        Assert.Equal(0, await app.QueryAsync(d => d.BillingEvents.CountAsync()));
    }

    [Fact]
    public async Task Billing_page_needs_a_signed_in_owner()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Stripe());

        var response = await app.Http.GetAsync("/app/billing");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("http://localhost/login", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Subscribe_creates_a_Checkout_session_for_the_29_dollar_plan_and_redirects_to_it()
    {
        await using var stripe = await FakeStripeApi.StartAsync();
        await using var app = await TestApp.StartAsync(Db.Sqlite, Stripe(stripe.BaseUrl));
        var business = await app.AddBusinessAsync();
        using var owner = await OwnerClient.SignInAsync(app, business.Id, email: "owner@acme.example");

        var page = await owner.Http.GetStringAsync("/app/billing");
        Assert.Contains("Subscribe for $29/month", page);
        var response = await owner.PostAsync("/app/billing?handler=Checkout", [], tokenFrom: "/app/billing");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("https://checkout.stripe.com/c/pay/cs_test_", response.Headers.Location!.OriginalString);
        var call = Assert.Single(stripe.Calls);
        Assert.Equal("/v1/checkout/sessions", call.Path);
        Assert.Equal("Bearer sk_test_recoverly", call.Authorization);
        Assert.Equal("subscription", call.Form["mode"]);
        Assert.Equal(business.Id.ToString(CultureInfo.InvariantCulture), call.Form["client_reference_id"]);
        Assert.Equal("price_29_monthly", call.Form["line_items[0][price]"]);
        Assert.Equal("1", call.Form["line_items[0][quantity]"]);
        Assert.Equal(business.Id.ToString(CultureInfo.InvariantCulture), call.Form["subscription_data[metadata][business_id]"]);
        Assert.Equal("owner@acme.example", call.Form["customer_email"]);
        Assert.Equal("http://localhost/app/billing?checkout=done", call.Form["success_url"]);
    }

    [Fact]
    public async Task Subscribed_owner_gets_the_customer_portal()
    {
        await using var stripe = await FakeStripeApi.StartAsync();
        await using var app = await TestApp.StartAsync(Db.Sqlite, Stripe(stripe.BaseUrl));
        var business = await app.AddBusinessAsync();
        await PostWebhookAsync(app, Event("evt_1", "checkout.session.completed", app.Time.GetUtcNow().UtcDateTime, CheckoutCompleted(business.Id)));
        using var owner = await OwnerClient.SignInAsync(app, business.Id);

        Assert.Contains("Subscribed — $29/month", WebUtility.HtmlDecode(await owner.Http.GetStringAsync("/app/billing")));
        var response = await owner.PostAsync("/app/billing?handler=Portal", [], tokenFrom: "/app/billing");

        Assert.Equal("https://billing.stripe.com/p/session/test_portal", response.Headers.Location!.OriginalString);
        var call = Assert.Single(stripe.Calls);
        Assert.Equal("/v1/billing_portal/sessions", call.Path);
        Assert.Equal("cus_1", call.Form["customer"]);
        Assert.Equal("http://localhost/app/billing", call.Form["return_url"]);
    }

    [Fact]
    public async Task Stripe_outage_shows_a_plain_message_instead_of_an_error_page()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Stripe("http://127.0.0.1:9"));
        var business = await app.AddBusinessAsync();
        using var owner = await OwnerClient.SignInAsync(app, business.Id);

        var response = await owner.PostAsync("/app/billing?handler=Checkout", [], tokenFrom: "/app/billing");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Stripe couldn't be reached just now", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData(9.5, null)]
    [InlineData(10, "Your free trial ends in 4 days")]
    [InlineData(10.5, "Your free trial ends in 4 days")]
    [InlineData(13.5, "Your free trial ends in 1 day")]
    [InlineData(14.5, "Your free trial has ended. Missed calls are still recorded here, but callers aren't being texted back.")]
    public async Task Owner_sees_the_trial_banner_on_days_11_to_14_and_why_texting_stopped(double days, string? banner)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Stripe());
        var business = await app.AddBusinessAsync();
        app.Time.Advance(TimeSpan.FromDays(days));
        using var owner = await OwnerClient.SignInAsync(app, business.Id);

        foreach (var page in new[] { "/app/billing", "/app" })
        {
            var html = WebUtility.HtmlDecode(await owner.Http.GetStringAsync(page));
            if (banner is null) Assert.DoesNotContain("plan-banner", html);
            else Assert.Contains(banner, html);
        }
    }

    [Fact]
    public void Plan_status_explains_each_state()
    {
        var now = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
        var b = new Business { Name = "A", BusinessPhone = "+15125550101", TrialEndsAt = now.AddDays(-1), Plan = PlanState.Trial };
        Assert.Null(PlanStatus.For(b, now, billingEnabled: false).Banner);
        Assert.True(PlanStatus.For(b, now, billingEnabled: false).MayText);

        var ended = PlanStatus.For(b, now, billingEnabled: true);
        Assert.False(ended.MayText);
        Assert.Equal(BannerTone.Off, ended.Tone);

        b.Plan = PlanState.PastDue;
        b.PastDueSince = now.AddDays(-2);
        var grace = PlanStatus.For(b, now, billingEnabled: true);
        Assert.True(grace.MayText);
        Assert.Contains("Text-backs continue until December 6", grace.Banner);

        b.Plan = PlanState.Canceled;
        Assert.Contains("canceled, so text-backs are off", PlanStatus.For(b, now, billingEnabled: true).Banner);
        b.Plan = PlanState.Founding;
        Assert.Null(PlanStatus.For(b, now, billingEnabled: true).Banner);
    }

    // ---- Hardening ----

    [Theory]
    [BothDatabases]
    public async Task A_body_larger_than_any_Stripe_event_is_refused_before_it_is_parsed_even_when_signed(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Stripe());
        var business = await app.AddBusinessAsync();
        var checkout = CheckoutCompleted(business.Id);
        checkout["metadata"] = new Dictionary<string, string> { ["padding"] = new string('x', StripeWebhook.MaxBodyBytes) };
        var payload = Event("evt_big", "checkout.session.completed", app.Time.GetUtcNow().UtcDateTime, checkout);

        var response = await PostWebhookAsync(app, payload);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await app.QueryAsync(d => d.BillingEvents.CountAsync()));
        Assert.Equal(PlanState.Trial, (await BusinessAsync(app, business.Id)).Plan);
    }

    [Theory]
    [BothDatabases]
    public async Task A_checkout_completed_without_payment_activates_nothing_until_the_payment_succeeds(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Stripe());
        var business = await app.AddBusinessAsync();
        var t0 = app.Time.GetUtcNow().UtcDateTime;

        await PostWebhookAsync(app, Event("evt_unpaid", "checkout.session.completed", t0, CheckoutCompleted(business.Id, paymentStatus: "unpaid")));
        var waiting = await BusinessAsync(app, business.Id);
        Assert.Equal(PlanState.Trial, waiting.Plan);
        Assert.Equal("cus_1", waiting.StripeCustomerId); // linked, so the payment's own events find the business

        await PostWebhookAsync(app, Event("evt_paid", "checkout.session.async_payment_succeeded", t0.AddMinutes(5), CheckoutCompleted(business.Id)));
        Assert.Equal(PlanState.Active, (await BusinessAsync(app, business.Id)).Plan);
    }

    [Fact]
    public async Task Two_events_for_one_business_arriving_together_on_PostgreSQL_leave_the_newer_state()
    {
        await using var app = await TestApp.StartAsync(Db.Postgres, Stripe());
        var business = await app.AddBusinessAsync();
        var t0 = app.Time.GetUtcNow().UtcDateTime;
        await PostWebhookAsync(app, Event("evt_co", "checkout.session.completed", t0, CheckoutCompleted(business.Id)));

        // A slow transaction holds the business row while both events arrive: the newer first, then the older.
        await using var holder = new NpgsqlConnection(app.ConnectionString);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var rowLock = new NpgsqlCommand($"SELECT 1 FROM \"Businesses\" WHERE \"Id\" = {business.Id} FOR UPDATE", holder, hold))
            await rowLock.ExecuteNonQueryAsync();
        var newer = PostWebhookAsync(app, Event("evt_del", "customer.subscription.deleted", t0.AddDays(40), Subscription("canceled", business.Id)));
        await WaitForLockWaitersAsync(app, 1);
        var older = PostWebhookAsync(app, Event("evt_fail", "invoice.payment_failed", t0.AddDays(30), Invoice("open")));
        await WaitForLockWaitersAsync(app, 2);
        await hold.CommitAsync();

        Assert.All(await Task.WhenAll(newer, older), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var after = await BusinessAsync(app, business.Id);
        Assert.Equal(PlanState.Canceled, after.Plan);
        Assert.Equal(t0.AddDays(40), after.PlanChangedAt);
        Assert.Null(after.PastDueSince);
    }

    /// <summary>Waits until <paramref name="count"/> sessions of the app's database wait for a lock.</summary>
    private static async Task WaitForLockWaitersAsync(TestApp app, int count)
    {
        await using var probe = new NpgsqlConnection(app.ConnectionString);
        await probe.OpenAsync();
        await Eventually.TrueAsync(async () =>
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", probe);
            return (long)(await cmd.ExecuteScalarAsync())! >= count;
        }, $"{count} webhook(s) wait for the business row");
    }
}
