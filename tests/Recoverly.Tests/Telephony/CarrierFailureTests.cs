using Microsoft.EntityFrameworkCore;
using Recoverly.Calls;
using Recoverly.Operator;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>Failures after the provider accepted a text, timely texts and the caller's name (docs/product/sending.md).</summary>
public class CarrierFailureTests
{
    private const string Caller = "+15125550142";
    private const string Owner = "+15125550199";
    private const string Number = "+15125550100";

    [Theory]
    [InlineData(21611, ErrorCategory.Retry)]
    [InlineData(30022, ErrorCategory.Throttled)]
    [InlineData(30023, ErrorCategory.Throttled)]
    [InlineData(30027, ErrorCategory.Throttled)]
    [InlineData(30450, ErrorCategory.Throttled)]
    [InlineData(30004, ErrorCategory.Unreachable)]
    [InlineData(30036, ErrorCategory.Expired)]
    [InlineData(21408, ErrorCategory.Configuration)]
    [InlineData(30006, ErrorCategory.Unreachable)]
    public void Carrier_codes_are_mapped(int code, ErrorCategory category)
    {
        var error = ProviderErrors.Find(code);
        Assert.NotNull(error);
        Assert.Equal(category, error.Category);
    }

    [Fact]
    public void A_full_queue_retries_and_a_carrier_limit_waits_longer()
    {
        Assert.Equal(SendOutcome.Retry, TwilioGateway.Classify(21611, 400).Outcome);
        var limited = TwilioGateway.Classify(30023, 400);
        Assert.Equal(SendOutcome.Retry, limited.Outcome);
        Assert.Equal(TwilioGateway.ThrottledRetryAfter, limited.RetryAfter);
        Assert.Equal(SendOutcome.Configuration, TwilioGateway.Classify(21408, 400).Outcome);
    }

    [Theory]
    [BothDatabases]
    public async Task A_status_callback_with_a_status_we_do_not_know_is_acknowledged_and_changes_nothing(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var sid = Assert.Single(app.Twilio.SentTo(Caller)).Sid;

        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(sid, "partially_teleported"));

        Assert.Equal(OutboundStatus.Queued, (await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack))).Status);
        Assert.Equal(0, await app.QueryAsync(d => d.MessageStatusEvents.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task A_carrier_limit_after_acceptance_shows_on_the_text_and_warns_the_operator(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var sid = Assert.Single(app.Twilio.SentTo(Caller)).Sid;

        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(sid, "undelivered", 30027));

        var text = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Undelivered, text.Status);
        Assert.Equal("Not delivered — the carrier limited our sending", OwnerWords.ForText(text.Status, text.ErrorCode, text.Reason, text.Kind).Text);
        var notice = Assert.Single(await app.QueryAsync(d => d.OperatorNotices.ToListAsync()));
        Assert.Equal(OperatorNotices.SenderThrottled, notice.Topic);
        Assert.Contains("30027", notice.Message);
        Assert.Contains(app.Logs.Lines, l => l.Contains("30027", StringComparison.Ordinal) && l.Contains("operator", StringComparison.Ordinal));
    }

    [Theory]
    [BothDatabases]
    public async Task A_carrier_limit_at_send_defers_the_text_and_warns_the_operator(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        app.Twilio.Script(new Scripted(400, 30023));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var text = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Pending, text.Status);
        Assert.Equal(30023, text.ErrorCode);
        Assert.Single(await app.QueryAsync(d => d.OperatorNotices.Where(n => n.Topic == OperatorNotices.SenderThrottled).ToListAsync()));

        app.Time.Advance(TwilioGateway.ThrottledRetryAfter);
        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task A_text_back_carries_its_window_as_the_validity_period_and_one_that_lapses_reads_expired(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var sent = Assert.Single(app.Twilio.SentTo(Caller));
        Assert.Equal((int)MissedCallRecorder.TextBackLifetime.TotalSeconds, sent.ValidityPeriod);

        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(sent.Sid, "failed", 30036));

        var text = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Expired, text.Status);
        Assert.Equal(OutboxReason.NotSentInTime, text.Reason);
        Assert.StartsWith("Expired — not sent", OwnerWords.ForText(text.Status, text.ErrorCode, text.Reason, text.Kind).Text);
    }

    [Theory]
    [BothDatabases]
    public async Task The_callers_CNAM_name_reaches_the_owner_cleaned_and_never_the_caller(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);

        await app.MissedCallAsync(Caller, extra: new Dictionary<string, string> { ["CallerName"] = "  JANE\u0007   DOE\u200B " + new string('X', 80) });
        await app.DispatchAsync();

        var stored = await app.QueryAsync(d => d.MissedCalls.Select(c => c.CallerName).SingleAsync());
        Assert.NotNull(stored);
        Assert.StartsWith("JANE DOE XXX", stored);
        Assert.Equal(CallerNames.MaxLength, stored.Length);
        Assert.Contains(app.Twilio.SentTo(Owner), t => t.Body.Contains($"(512) 555-0142 ({stored})", StringComparison.Ordinal));
        Assert.DoesNotContain("JANE", Assert.Single(app.Twilio.SentTo(Caller)).Body);
        Assert.Equal($"(512) 555-0142 ({stored})", OwnerWords.Caller(Caller, Caller, stored));
    }

    [Theory]
    [InlineData("WIRELESS CALLER", null)]
    [InlineData("   ", null)]
    [InlineData("Jane\tDoe", "Jane Doe")]
    [InlineData("<b>Bob</b>", "<b>Bob</b>")] // kept as text; pages encode it
    public void Caller_names_are_cleaned(string raw, string? shown) => Assert.Equal(shown, CallerNames.Clean(raw));
}
