using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Tests.Telephony;

/// <summary>The pure Telnyx decisions: what a refused send means, which inbound words Telnyx answered itself, what a status is.</summary>
public class TelnyxClassificationTests
{
    public static TheoryData<int?, int, SendOutcome, OutboxReason> Refusals => new()
    {
        { 40300, 400, SendOutcome.OptedOut, OutboxReason.ProviderError },       // blocked after the caller's STOP
        { 40001, 400, SendOutcome.Landline, OutboxReason.ProviderError },       // landline / not routable
        { 10002, 422, SendOutcome.Permanent, OutboxReason.ProviderError },      // invalid number
        { 40012, 400, SendOutcome.Permanent, OutboxReason.ProviderError },
        { 10016, 422, SendOutcome.Permanent, OutboxReason.ProviderError },      // not E.164
        { 40002, 400, SendOutcome.Permanent, OutboxReason.ProviderError },      // spam filter
        { 10009, 401, SendOutcome.Configuration, OutboxReason.ProviderError },  // API key refused
        { null, 401, SendOutcome.Configuration, OutboxReason.ProviderError },   // … even without a code
        { null, 403, SendOutcome.Configuration, OutboxReason.ProviderError },
        { 40013, 400, SendOutcome.Configuration, OutboxReason.ProviderError },  // sending number rejected
        { 10010, 403, SendOutcome.Configuration, OutboxReason.ProviderError },
        { 10011, 429, SendOutcome.Retry, OutboxReason.ProviderBusy },           // too many requests
        { null, 429, SendOutcome.Retry, OutboxReason.ProviderBusy },
        { 40011, 400, SendOutcome.Retry, OutboxReason.ProviderBusy },           // carrier throughput
        { 10007, 500, SendOutcome.InDoubt, OutboxReason.ProviderServerError },  // may have been taken
        { null, 503, SendOutcome.InDoubt, OutboxReason.ProviderServerError },
        { 49999, 400, SendOutcome.Permanent, OutboxReason.ProviderError },      // unknown: give up, keep the code
        { null, 400, SendOutcome.Permanent, OutboxReason.ProviderError },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_refused_send_becomes_a_typed_result(int? code, int httpStatus, SendOutcome outcome, OutboxReason reason)
    {
        var result = TelnyxGateway.Classify(code, httpStatus);

        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(reason, result.Reason);
        if (code is not null) Assert.Equal(code, result.ErrorCode);
    }

    [Theory]
    [InlineData("""{"errors":[{"code":"40300","title":"Blocked due to STOP message","detail":"…"}]}""", 40300)]
    [InlineData("""{"errors":[{"code":10009,"title":"Authentication failed"}]}""", 10009)]
    [InlineData("""{"errors":[{"title":"no code"},{"code":"40001"}]}""", 40001)]
    [InlineData("""{"errors":[]}""", null)]
    [InlineData("""<html>Bad gateway</html>""", null)]
    [InlineData("", null)]
    public void The_error_code_is_read_from_Telnyx_errors_array(string json, int? code) =>
        Assert.Equal(code, TelnyxGateway.ErrorCode(json));

    [Fact]
    public void Telnyx_and_Twilio_codes_never_collide_so_one_stored_code_says_what_happened()
    {
        var telnyx = TelnyxErrors.Known.Select(e => e.Code).ToList();

        Assert.Empty(telnyx.Intersect(ProviderErrors.TwilioCodes));
        Assert.Equal(telnyx.Count, telnyx.Distinct().Count());
        Assert.All(TelnyxErrors.Known, e => Assert.Equal($"https://developers.telnyx.com/api/errors/{e.Code}", ProviderErrors.Describe(e.Code).Link));
        Assert.Equal("https://www.twilio.com/docs/errors/21610", ProviderErrors.Describe(21610).Link);
        Assert.Equal(ErrorCategory.OptedOut, ProviderErrors.Describe(40300).Category);
        Assert.Equal(ErrorCategory.Landline, ProviderErrors.Describe(40001).Category);
    }

    public static TheoryData<string, string?, string?> Keywords => new()
    {
        // Telnyx's own opt-out and opt-in words, whole message only, any case and spacing.
        { "STOP", null, "STOP" }, { " stop ", null, "STOP" }, { "Stop All", null, "STOP" }, { "stop  all", null, "STOP" },
        { "STOPALL", null, "STOP" }, { "unsubscribe", null, "STOP" }, { "CANCEL", null, "STOP" }, { "end", null, "STOP" }, { "Quit", null, "STOP" },
        { "START", null, "START" }, { "unstop", null, "START" },
        // Recoverly's wider opt-out phrases are Recoverly's to answer: Telnyx neither blocks nor replies.
        { "Stop.", null, null }, { "please stop", null, null }, { "stop texting me", null, null }, { "REVOKE", null, null }, { "OPTOUT", null, null },
        { "HELP", null, null }, { "YES", null, null }, { "Can you stop by at 3?", null, null },
        // With Advanced Opt-In/Out, Telnyx says what it answered.
        { "arrête", "stop", "STOP" }, { "JOIN", "start", "START" }, { "HELP", "help", "HELP" }, { "INFO", "info", "HELP" }, { "hello", "", null },
    };

    [Theory]
    [MemberData(nameof(Keywords))]
    public void Telnyx_answers_only_its_own_keywords(string body, string? autoresponseType, string? answered) =>
        Assert.Equal(answered, TelnyxKeywords.AnsweredByTelnyx(body, autoresponseType));

    [Theory]
    [InlineData("queued", OutboundStatus.Queued)]
    [InlineData("sending", OutboundStatus.Sent)]
    [InlineData("sent", OutboundStatus.Sent)]
    [InlineData("delivery_unconfirmed", OutboundStatus.Sent)]
    [InlineData("delivered", OutboundStatus.Delivered)]
    [InlineData("delivery_failed", OutboundStatus.Undelivered)]
    [InlineData("sending_failed", OutboundStatus.Failed)]
    [InlineData("expired", OutboundStatus.Failed)]
    public void Telnyx_statuses_map_onto_the_text_lifecycle(string status, OutboundStatus expected) =>
        Assert.Equal(expected, DeliveryStatus.Map(status));
}
