using Microsoft.EntityFrameworkCore;
using Recoverly.Consent;
using Recoverly.Operator;
using Recoverly.Telephony;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Consent;

/// <summary>Who answers a keyword (docs/product/consent.md, "Who answers a keyword"): Twilio:KeywordReplies=Provider or Recoverly.</summary>
public class KeywordRepliesTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";
    private const string Owner = "+15125550199";

    [Theory]
    [InlineData("STOP", KeywordReplies.Provider, "STOP")]
    [InlineData("  stopall ", KeywordReplies.Provider, "STOP")]
    [InlineData("Revoke", KeywordReplies.Provider, "STOP")]
    [InlineData("OPTOUT", KeywordReplies.Provider, "STOP")]
    [InlineData("cancel", KeywordReplies.Provider, "STOP")]
    [InlineData("yes", KeywordReplies.Provider, "START")]
    [InlineData("Unstop", KeywordReplies.Provider, "START")]
    [InlineData("info", KeywordReplies.Provider, "HELP")]
    [InlineData("Stop please", KeywordReplies.Provider, null)]
    [InlineData("please stop texting me", KeywordReplies.Provider, null)]
    [InlineData("Stop.", KeywordReplies.Provider, null)]
    [InlineData("STOP", KeywordReplies.Recoverly, null)]
    [InlineData("HELP", KeywordReplies.Recoverly, null)]
    public void Twilio_answers_only_its_exact_default_keywords_and_only_when_its_handling_is_on(string body, KeywordReplies mode, string? answered) =>
        Assert.Equal(answered, ProviderKeywords.AnsweredByProvider(ProviderKeywords.Twilio, body, null, mode));

    [Theory]
    [InlineData(KeywordReplies.Provider)]
    [InlineData(KeywordReplies.Recoverly)]
    public void What_the_provider_says_it_answered_counts_in_either_mode(KeywordReplies mode) =>
        Assert.Equal("STOP", ProviderKeywords.AnsweredByProvider(ProviderKeywords.Twilio, "please stop", "STOP", mode));

    [Theory]
    [BothDatabases]
    public async Task In_provider_mode_exact_keywords_get_only_the_providers_answer_and_phrases_get_ours(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.TwilioAnswersKeywords);
        var business = await app.AddBusinessAsync();
        const string phrase = "+15125550143", helper = "+15125550144", replier = "+15125550145";

        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.InboundSmsAsync(phrase, Number, "please stop texting me");
        await app.InboundSmsAsync(helper, Number, "INFO");
        await app.InboundSmsAsync(replier, Number, "Yes");
        await app.DispatchAsync();

        Assert.Empty(app.Twilio.SentTo(Caller));
        Assert.Equal([FakeTwilioApi.DefaultStopReply], app.Twilio.AutoRepliesTo(Caller).Select(t => t.Body));
        Assert.StartsWith("Acme Plumbing: you're unsubscribed", Assert.Single(app.Twilio.SentTo(phrase)).Body);
        Assert.Empty(app.Twilio.AutoRepliesTo(phrase));
        Assert.Empty(app.Twilio.SentTo(helper));
        // A "Yes" from someone who never opted out is a reply for the owner, whatever Twilio sent back.
        Assert.Empty(app.Twilio.SentTo(replier));
        var intents = await app.QueryAsync(d => d.InboundMessages.OrderBy(m => m.Id).Select(m => m.Intent).ToListAsync());
        Assert.Equal([InboundIntent.OptOut, InboundIntent.OptOut, InboundIntent.Help, InboundIntent.Conversation], intents);
        Assert.Equal(CallerConsent.OptedOut, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, business.Id, Caller, default)));
        Assert.Empty(await app.QueryAsync(d => d.OperatorNotices.ToListAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task In_provider_mode_the_owners_YES_still_gets_our_alerts_on_confirmation_and_STOP_gets_none(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.TwilioAnswersKeywords);
        await app.AddBusinessAsync(ownerPhone: Owner);
        await app.DispatchAsync();

        await app.InboundSmsAsync(Owner, Number, "YES");
        await app.DispatchAsync();
        await app.InboundSmsAsync(Owner, Number, "STOP");
        await app.DispatchAsync();

        var ours = app.Twilio.SentTo(Owner).Select(t => t.Body).ToList();
        Assert.Equal(2, ours.Count); // the opt-in request, then our confirmation; no "alerts off" text after Twilio's own STOP reply
        Assert.StartsWith("Recoverly: missed-call alerts for Acme Plumbing are on.", ours[1]);
        Assert.Equal([FakeTwilioApi.DefaultStartReply, FakeTwilioApi.DefaultStopReply], app.Twilio.AutoRepliesTo(Owner).Select(t => t.Body));
    }

    [Theory]
    [BothDatabases]
    public async Task OptOutType_while_Recoverly_answers_keywords_warns_the_operator_and_sends_no_second_answer(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Twilio);
        await app.AddBusinessAsync();

        await app.InboundSmsAsync(Caller, Number, "STOP", extra: new Dictionary<string, string> { ["OptOutType"] = "STOP" });
        await app.DispatchAsync();

        Assert.Empty(app.Twilio.SentTo(Caller));
        var notice = Assert.Single(await app.QueryAsync(d => d.OperatorNotices.ToListAsync()));
        Assert.Equal(OperatorNotices.KeywordRepliesMismatch, notice.Topic);
        Assert.Contains("Twilio:KeywordReplies", notice.Message);
        Assert.Contains(app.Logs.Lines, l => l.Contains("Twilio:KeywordReplies", StringComparison.Ordinal));
    }

    [Theory]
    [BothDatabases]
    public async Task A_21610_on_our_confirmation_warns_the_operator(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.TwilioAnswersKeywords);
        await app.AddBusinessAsync();
        app.Twilio.Script(new Scripted(400, 21610));

        await app.InboundSmsAsync(Caller, Number, "please stop texting me");
        await app.DispatchAsync();

        var confirmation = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OptOutConfirmation));
        Assert.Equal(21610, confirmation.ErrorCode);
        var notice = Assert.Single(await app.QueryAsync(d => d.OperatorNotices.ToListAsync()));
        Assert.Contains("21610", notice.Message);
        Assert.Contains(app.Logs.Lines, l => l.Contains("Twilio:KeywordReplies", StringComparison.Ordinal));
    }
}
