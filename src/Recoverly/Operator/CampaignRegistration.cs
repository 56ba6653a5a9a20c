using System.Globalization;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Public;
using Recoverly.Texts;

namespace Recoverly.Operator;

/// <summary>One field of the 10DLC campaign form, with the registry's length limits (docs/product/texts.md).</summary>
public sealed record CampaignField(string Label, string ApiName, string Text, int Min, int Max)
{
    public int Length => Text.Length;
    public bool WithinLimits => Length >= Min && Length <= Max;
    public string? Problem => Length > Max ? string.Create(CultureInfo.InvariantCulture, $"Too long: {Length:N0} characters; the registry allows at most {Max:N0}.")
        : Length < Min ? string.Create(CultureInfo.InvariantCulture, $"Too short: {Length:N0} characters; the registry needs at least {Min:N0}.") : null;
}

/// <summary>
/// The 10DLC campaign text rendered from the live templates (docs/product/texts.md), so what the operator registers
/// is what Recoverly sends. Limits are Twilio's A2P campaign rules (description 40–4096, message flow
/// 40–2048, 2–5 samples of 20–1024, opt-in/opt-out/help messages 20–320, keyword lists ≤ 255).
/// </summary>
public static class CampaignRegistration
{
    public const int MinSamples = 2, MaxSamples = 5;
    public const string UseCase = "Customer Care (or Low Volume Mixed for a small brand)";
    public const string OptOutKeywords = "STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT";
    public const string OptInKeywords = "START, UNSTOP, YES";
    public const string HelpKeywords = "HELP, INFO";

    public sealed record Campaign(IReadOnlyList<CampaignField> Fields, IReadOnlyList<CampaignField> Samples, IReadOnlyList<CampaignField> Keywords)
    {
        public string? SampleCountProblem => Samples.Count is < MinSamples or > MaxSamples
            ? $"The registry takes {MinSamples}–{MaxSamples} sample messages; this campaign has {Samples.Count}." : null;
        public bool AllWithinLimits => SampleCountProblem is null && Fields.Concat(Samples).Concat(Keywords).All(f => f.WithinLimits);
    }

    public static Campaign For(Business business, string baseUrl)
    {
        var name = business.Name;
        var zone = BusinessClock.Zone(business.TimeZone);
        var description =
            $"{name} is an owner-operated service business. When a customer calls {name} and nobody can answer, Recoverly (the messaging " +
            $"platform {name} uses) sends that caller one informational text naming {name}, saying the call was missed and inviting a reply; " +
            "there is one text per missed call (repeat calls within 12 hours get none), no marketing and no follow-up sequence. Replies are " +
            $"answered by {name} personally. Separately, the owner of {name} may opt in to missed-call alert texts about their own calls. " +
            "STOP, HELP and START are honored on every number.";
        var flow =
            $"Callers: a consumer places a voice call to {name}'s published number; when the call is missed (unanswered, busy or forwarded " +
            "on no-answer), Recoverly sends one text to the calling number in direct response to that call. The first message names the " +
            "business and says \"Reply STOP to opt out\". No number is bought, shared or imported; only numbers that called the business are texted. " +
            $"Owner alerts: at sign-up on {baseUrl}/signup the owner may tick an unticked checkbox beside a disclosure (what is sent, about one " +
            "alert per missed call or reply, Msg & data rates may apply, STOP/HELP); Recoverly records the tick and then texts the owner a request, " +
            "and alerts start only after the owner replies YES. " +
            $"Policy and examples: {baseUrl}/sms-policy, {baseUrl}/examples, privacy: {baseUrl}/privacy, terms: {baseUrl}/terms.";

        var samples = new[]
        {
            TextTemplates.TextBack(business),
            TextTemplates.HelpReply(business),
            TextTemplates.OwnerOptInRequest(business.Numbers.FirstOrDefault()?.E164 ?? Public.ExampleMessages.SampleRecoverlyNumber),
            TextTemplates.MissedCallAlert(ExampleCaller, new DateTime(2026, 6, 2, 19, 14, 0, DateTimeKind.Utc), zone, CallOutcome.Texted, 1),
            TextTemplates.ReplyAlert(ExampleCaller, [ExampleMessages.SampleReply], baseUrl + ExampleMessages.SampleConversationPath),
        };
        return new Campaign(
            [
                new("Campaign description", "description", description, 40, 4096),
                new("Message flow (how people opt in)", "message_flow", flow, 40, 2048),
                new("Opt-in confirmation", "opt_in_message", TextTemplates.OptInConfirmation(name), 20, 320),
                new("Opt-out confirmation (STOP reply)", "opt_out_message", TextTemplates.OptOutConfirmation(name), 20, 320),
                new("HELP reply", "help_message", TextTemplates.HelpReply(business), 20, 320),
            ],
            samples.Select((s, i) => new CampaignField($"Sample message {i + 1}", "message_samples", s, 20, 1024)).ToList(),
            [
                new("Opt-out keywords", "opt_out_keywords", OptOutKeywords, 1, 255),
                new("Opt-in keywords", "opt_in_keywords", OptInKeywords, 1, 255),
                new("Help keywords", "help_keywords", HelpKeywords, 1, 255),
            ]);
    }

    private const string ExampleCaller = "+15125550142";
}
