using Recoverly.Dispatch;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Tests.Dispatch;

/// <summary>What one send attempt does to its row, as a table over the provider's typed answers.</summary>
public class SendTransitionTests
{
    private static readonly DateTime Now = new(2026, 11, 27, 15, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Fenced = Now.AddSeconds(-2);
    private static readonly DateTime Earlier = Now.AddMinutes(-3);

    private static SendAttempt TextBack(int attempts = 0, DateTime? expires = null, DateTime? earlier = null) =>
        new(OutboundKind.TextBack, attempts, expires ?? Now.AddMinutes(50), Fenced, earlier);

    [Theory]
    [InlineData("queued", OutboundStatus.Queued)]
    [InlineData("accepted", OutboundStatus.Queued)]
    [InlineData("sent", OutboundStatus.Sent)]
    [InlineData(null, OutboundStatus.Queued)]
    [InlineData("something-new", OutboundStatus.Queued)]
    public void Accepted_keeps_the_provider_id_and_ends_any_doubt(string? providerStatus, OutboundStatus expected)
    {
        var after = SendTransition.Apply(TextBack(earlier: Earlier), new SendResult(SendOutcome.Accepted, "SM1", providerStatus), Now);
        Assert.Equal(expected, after.Status);
        Assert.Equal("SM1", after.ProviderSid);
        Assert.Equal(Now, after.SentAt);
        Assert.Null(after.AttemptStartedAt);
        Assert.Equal(1, after.Attempts);
        Assert.False(after.LearnFromError);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(5, 30)]
    [InlineData(9, 30)]
    public void Retry_goes_back_to_the_queue_with_backoff_from_one_second_capped_at_thirty(int attempts, int seconds)
    {
        var after = SendTransition.Apply(TextBack(attempts), new SendResult(SendOutcome.Retry, ErrorCode: 20429, Reason: OutboxReason.ProviderBusy), Now);
        Assert.Equal(OutboundStatus.Pending, after.Status);
        Assert.Equal(Now.AddSeconds(seconds), after.NextAttemptAt);
        Assert.Equal(attempts + 1, after.Attempts);
        Assert.Equal(OutboxReason.ProviderBusy, after.Reason);
        Assert.Null(after.AttemptStartedAt);
    }

    [Fact]
    public void Retry_after_the_provider_says_when_waits_that_long()
    {
        var after = SendTransition.Apply(TextBack(), new SendResult(SendOutcome.Retry, RetryAfter: TimeSpan.FromSeconds(7)), Now);
        Assert.Equal(Now.AddSeconds(7), after.NextAttemptAt);
    }

    [Fact]
    public void Retry_keeps_an_earlier_attempt_in_doubt_so_the_resend_still_reconciles_first()
    {
        var after = SendTransition.Apply(TextBack(earlier: Earlier), new SendResult(SendOutcome.Retry), Now);
        Assert.Equal(Earlier, after.AttemptStartedAt);
    }

    [Fact]
    public void Retry_that_would_land_past_the_deadline_expires_now()
    {
        var after = SendTransition.Apply(TextBack(attempts: 3, expires: Now.AddSeconds(5)), new SendResult(SendOutcome.Retry), Now);
        Assert.Equal(OutboundStatus.Expired, after.Status);
        Assert.Equal(OutboxReason.ProviderKeptRefusing, after.Reason);
        Assert.Null(after.NextAttemptAt);
    }

    [Fact]
    public void No_answer_is_in_doubt_from_the_moment_of_the_fence()
    {
        var after = SendTransition.Apply(TextBack(), new SendResult(SendOutcome.InDoubt, Reason: OutboxReason.ProviderNoAnswer), Now);
        Assert.Equal(OutboundStatus.InDoubt, after.Status);
        Assert.Equal(Fenced, after.AttemptStartedAt);
        Assert.Equal(Now.AddSeconds(1), after.NextAttemptAt);
        Assert.Null(after.ProviderSid);
    }

    [Fact]
    public void A_second_no_answer_still_looks_back_to_the_first_attempt()
    {
        var after = SendTransition.Apply(TextBack(attempts: 1, earlier: Earlier), new SendResult(SendOutcome.InDoubt), Now);
        Assert.Equal(Earlier, after.AttemptStartedAt);
        Assert.Equal(Now.AddSeconds(2), after.NextAttemptAt);
    }

    [Theory]
    [InlineData(SendOutcome.OptedOut, 21610)]
    [InlineData(SendOutcome.Landline, 21614)]
    [InlineData(SendOutcome.Permanent, 21211)]
    [InlineData(SendOutcome.Configuration, 30034)]
    public void A_refusal_fails_the_row_and_the_error_is_learned_from(SendOutcome outcome, int code)
    {
        var after = SendTransition.Apply(TextBack(earlier: Earlier), new SendResult(outcome, ErrorCode: code, Reason: OutboxReason.ProviderError), Now);
        Assert.Equal(OutboundStatus.Failed, after.Status);
        Assert.Equal(code, after.ErrorCode);
        Assert.Null(after.AttemptStartedAt);
        Assert.True(after.LearnFromError);
    }
}
