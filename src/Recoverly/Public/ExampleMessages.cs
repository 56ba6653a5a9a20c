using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Owners;
using Recoverly.Texts;

namespace Recoverly.Public;

/// <summary>One bubble in a phone mock-up: <see cref="FromRecoverly"/> bubbles come straight from <see cref="TextTemplates"/>.</summary>
public sealed record Bubble(string Text, bool FromRecoverly);

public sealed record ExampleThread(string Id, string Title, string Who, string Explanation, IReadOnlyList<Bubble> Bubbles);

/// <summary>
/// The public message examples (docs/product/texts.md): what a caller and an owner actually receive, rendered by
/// the same <see cref="TextTemplates"/> the engine sends from, for a sample business.
/// </summary>
public static class ExampleMessages
{
    public static readonly Business Sample = new()
    {
        Name = "Acme Plumbing",
        BusinessPhone = "+15125550101",
        OwnerEmail = "help@acmeplumbing.example",
        TimeZone = "America/Chicago",
    };

    public const string SampleCaller = "+15125550142";
    public const string SampleRecoverlyNumber = "+15125550100";
    public const string SampleReply = "Need my water heater looked at tomorrow";

    /// <summary>The sample caller's conversation page, built like a real alert's link so the examples never point at a page that does not exist.</summary>
    public static readonly string SampleConversationPath = OwnerAlerts.ConversationPath(42);

    /// <summary>2:14 PM in the sample business's time zone, like the specification's example alert.</summary>
    public static readonly DateTime SampleCallUtc = new(2026, 6, 2, 19, 14, 0, DateTimeKind.Utc);

    public static IReadOnlyList<ExampleThread> All(string inboxLink)
    {
        var name = Sample.Name;
        var zone = BusinessClock.Zone(Sample.TimeZone);
        return
        [
            new("text-back", "The text-back", "Caller",
                "Sent once per missed call (repeat calls within the episode window don't get another). Names the business and says how to opt out.",
                [new(TextTemplates.TextBack(Sample), true), new("Hi, my water heater is leaking. Can someone come today?", false)]),
            new("help", "HELP reply", "Caller",
                "Anyone who texts HELP or INFO gets this, subscribed or not: who we are, how to reach the business, frequency, rates, and how to opt out.",
                [new("HELP", false), new(TextTemplates.HelpReply(Sample), true)]),
            new("stop", "STOP confirmation", "Caller",
                "One confirmation, then nothing more from this business. Any pending text to this caller is cancelled before it can go out.",
                [new("STOP", false), new(TextTemplates.OptOutConfirmation(name), true)]),
            new("start", "Opt-in confirmation", "Caller",
                "A caller who opted out can come back with START (or UNSTOP, or YES while opted out).",
                [new("START", false), new(TextTemplates.OptInConfirmation(name), true)]),
            new("owner-opt-in", "Owner alert opt-in", "Owner",
                "Owner alerts are never assumed: after the owner ticks the (unticked) box at sign-up, this request goes out, and alerts start only after YES.",
                [new(TextTemplates.OwnerOptInRequest(SampleRecoverlyNumber), true), new("YES", false), new(TextTemplates.OwnerAlertsOn(name), true)]),
            new("owner-alert", "Owner missed-call alert", "Owner",
                "Every missed call is alerted with what happened — a landline caller's alert says to call them back.",
                [new(TextTemplates.MissedCallAlert(SampleCaller, SampleCallUtc, zone, CallOutcome.Texted, 1), true)]),
            new("owner-reply-alert", "Owner reply alert", "Owner",
                "When a caller answers, the owner hears about it at once; more replies within five minutes are gathered into one alert.",
                [new(TextTemplates.ReplyAlert(SampleCaller, [SampleReply], inboxLink), true)]),
        ];
    }
}
