using Recoverly.Calls;
using Recoverly.Telephony;

namespace Recoverly.Tests.Calls;

/// <summary>The outcome of a missed call as a table: each rule alone, then each rule against the ones after it.</summary>
public class MissedCallClassifierTests
{
    private static readonly CallFacts Eligible = new() { Caller = CallerIdKind.Number };

    public static TheoryData<string, CallFacts, CallOutcome> Table => new()
    {
        { "an ordinary caller", Eligible, CallOutcome.Texted },
        { "withheld", Eligible with { Caller = CallerIdKind.Withheld }, CallOutcome.Withheld },
        { "internal", Eligible with { Internal = true }, CallOutcome.Internal },
        { "short code", Eligible with { Caller = CallerIdKind.ShortCode }, CallOutcome.ShortCode },
        { "international", Eligible with { CountryAllowed = false }, CallOutcome.International },
        { "failed STIR/SHAKEN", Eligible with { CallerIdFailedVerification = true }, CallOutcome.UnverifiedCaller },
        { "landline", Eligible with { Landline = true }, CallOutcome.Landline },
        { "opted out", Eligible with { OptedOut = true }, CallOutcome.OptedOut },
        { "already texted this episode", Eligible with { TextedThisEpisode = true }, CallOutcome.Repeat },
        { "plan inactive", Eligible with { Entitled = false }, CallOutcome.Inactive },
        { "paused", Eligible with { Paused = true }, CallOutcome.Paused },
        { "daily cap reached", Eligible with { UnderDailyCap = false }, CallOutcome.DailyLimit },

        // Order: the earlier rule wins whenever two apply.
        { "withheld beats everything", new CallFacts { Caller = CallerIdKind.Withheld, Internal = true, CountryAllowed = false, OptedOut = true, Entitled = false }, CallOutcome.Withheld },
        { "internal beats short code", Eligible with { Caller = CallerIdKind.ShortCode, Internal = true }, CallOutcome.Internal },
        { "short code beats international", Eligible with { Caller = CallerIdKind.ShortCode, CountryAllowed = false }, CallOutcome.ShortCode },
        { "international beats unverified", Eligible with { CountryAllowed = false, CallerIdFailedVerification = true }, CallOutcome.International },
        { "unverified beats landline", Eligible with { CallerIdFailedVerification = true, Landline = true }, CallOutcome.UnverifiedCaller },
        { "landline beats opted out", Eligible with { Landline = true, OptedOut = true }, CallOutcome.Landline },
        { "opted out beats repeat", Eligible with { OptedOut = true, TextedThisEpisode = true }, CallOutcome.OptedOut },
        { "repeat beats inactive", Eligible with { TextedThisEpisode = true, Entitled = false }, CallOutcome.Repeat },
        { "inactive beats paused", Eligible with { Entitled = false, Paused = true }, CallOutcome.Inactive },
        { "paused beats daily limit", Eligible with { Paused = true, UnderDailyCap = false }, CallOutcome.Paused },
        { "opted out caller never uses a daily slot", Eligible with { OptedOut = true, UnderDailyCap = false }, CallOutcome.OptedOut },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_missed_call_gets_the_first_outcome_that_applies(string scenario, CallFacts facts, CallOutcome expected) =>
        Assert.True(MissedCallClassifier.Classify(facts) == expected, $"{scenario}: expected {expected}, got {MissedCallClassifier.Classify(facts)}");

    [Fact]
    public void Every_outcome_is_reachable()
    {
        var reached = Table.Select(row => (CallOutcome)row[2]).ToHashSet();
        Assert.Equal(Enum.GetValues<CallOutcome>().ToHashSet(), reached);
    }

    [Theory]
    [InlineData("TN-Validation-Failed-A", true)]
    [InlineData("TN-Validation-Failed-C", true)]
    [InlineData("tn-validation-failed", true)]
    [InlineData("TN-Validation-Passed-A", false)]
    [InlineData("No-TN-Validation", false)]
    [InlineData(null, false)]
    public void Only_a_failed_stir_shaken_verdict_counts_as_unverified(string? verstat, bool failed) =>
        Assert.Equal(failed, MissedCallClassifier.FailedVerification(verstat));
}
