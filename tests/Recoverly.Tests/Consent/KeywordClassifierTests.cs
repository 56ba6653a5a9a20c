using Recoverly.Consent;

namespace Recoverly.Tests.Consent;

public class KeywordClassifierTests
{
    // OPT-01: every opt-out keyword, any case, surrounding whitespace plus the rest of the documented list (docs/product/consent.md).
    public static TheoryData<string> OptOutKeywordBodies()
    {
        var data = new TheoryData<string>();
        string[] keywords = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "REMOVE", "STOP ALL", "OPT OUT", "OPT-OUT"];
        foreach (string keyword in keywords)
        {
            string lower = keyword.ToLowerInvariant();
            string title = char.ToUpperInvariant(lower[0]) + lower[1..];
            data.Add(keyword);
            data.Add(lower);
            data.Add(title);
            data.Add($"  {keyword}  ");
            data.Add($"\t{lower}\r\n");
            data.Add($"\n {title} \n");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OptOutKeywordBodies))]
    public void Opt_out_keywords_in_any_case_with_whitespace_are_opt_out(string body)
    {
        Assert.Equal(InboundIntent.OptOut, KeywordClassifier.Classify(body, currentlyOptedOut: false));
        Assert.Equal(InboundIntent.OptOut, KeywordClassifier.Classify(body, currentlyOptedOut: true));
    }

    [Theory]
    // OPT-02: bodies the provider's exact match misses.
    [InlineData("opt out")]
    [InlineData("Opt-Out")]
    [InlineData("STOP ALL")]
    [InlineData("stop.")]
    [InlineData("Stop!")]
    [InlineData("Stop?")]
    [InlineData("STOP!!!")]
    [InlineData("\"STOP\"")]
    [InlineData("(stop)")]
    [InlineData("...stop...")]
    [InlineData("opt_out")]
    [InlineData("Opt Out.")]
    [InlineData("stop all")]
    [InlineData("Stop-All")]
    // Emoji, markdown and other decoration around the keyword.
    [InlineData("STOP 🛑")]
    [InlineData("🛑 stop 🛑")]
    [InlineData("**stop**")]
    [InlineData("_STOP_")]
    [InlineData("stop 👍🏽")]
    [InlineData("🙏 unsubscribe")]
    [InlineData("END ✋")]
    [InlineData("Stop ❤️")]
    [InlineData("<stop>")]
    // Unicode oddities: full-width letters, zero-width characters, no-break spaces.
    [InlineData("ＳＴＯＰ")]
    [InlineData("S\u200BTOP")]
    [InlineData("\u00A0stop\u00A0")]
    // Politeness words and repetition around a bare keyword.
    [InlineData("Stop please")]
    [InlineData("Please stop")]
    [InlineData("STOP PLEASE")]
    [InlineData("Please cancel")]
    [InlineData("Stop. Thank you")]
    [InlineData("stop thanks")]
    [InlineData("Ok stop")]
    [InlineData("stop now")]
    [InlineData("stop stop stop")]
    [InlineData("STOP END")]
    [InlineData("cancel all")]
    [InlineData("Stoooop")]
    [InlineData("STOPPPP")]
    [InlineData("stopp")]
    [InlineData("S T O P")]
    // A bare keyword as its own sentence or clause of a longer message.
    [InlineData("STOP. I never called you")]
    [InlineData("Stop, wrong number")]
    [InlineData("stop - who is this?")]
    [InlineData("Who is this? STOP")]
    [InlineData("Found someone else.\nUnsubscribe")]
    // Other languages used in the US and Canada.
    [InlineData("ARRÊT")]
    [InlineData("arret")]
    [InlineData("Alto")]
    [InlineData("No más")]
    [InlineData("NO MAS")]
    [InlineData("no mas por favor")]
    [InlineData("Cancelar")]
    public void Keyword_with_punctuation_emoji_or_politeness_is_opt_out(string body)
    {
        Assert.Equal(InboundIntent.OptOut, KeywordClassifier.Classify(body, currentlyOptedOut: false));
    }

    [Theory]
    // OPT-03 and the documented phrase list (docs/product/consent.md), with close variants.
    [InlineData("please stop texting me")]
    [InlineData("Please stop texting me.")]
    [InlineData("stop texting")]
    [InlineData("Stop texting me!!")]
    [InlineData("STOP TEXTING ME")]
    [InlineData("stop sending me texts")]
    [InlineData("stop sending messages")]
    [InlineData("Stop messaging me")]
    [InlineData("stop the texts")]
    [InlineData("quit texting me")]
    [InlineData("don't text me")]
    [InlineData("Don’t text me")]
    [InlineData("dont text me")]
    [InlineData("do not text me")]
    [InlineData("DO NOT TEXT ME AGAIN")]
    [InlineData("Don't contact me")]
    [InlineData("never text me again")]
    [InlineData("don't text this number")]
    [InlineData("don't send me any more messages")]
    [InlineData("I don't want these texts")]
    [InlineData("take me off your list")]
    [InlineData("Take me off your list please")]
    [InlineData("take me off your mailing list")]
    [InlineData("Please take my number off your list")]
    [InlineData("take me off")]
    [InlineData("remove me")]
    [InlineData("Remove me please")]
    [InlineData("remove me from your list")]
    [InlineData("Please remove my number")]
    [InlineData("unsubscribe me")]
    [InlineData("How do I unsubscribe?")]
    [InlineData("please opt me out")]
    [InlineData("I want to opt out")]
    [InlineData("I revoke my consent")]
    [InlineData("no more texts")]
    [InlineData("No more messages please")]
    [InlineData("no mas")]
    [InlineData("no mas mensajes")]
    [InlineData("Ya no me envies mensajes")]
    [InlineData("Stop contacting me")]
    [InlineData("stop text messages")]
    [InlineData("Please end these texts")]
    [InlineData("cancel all messages")]
    [InlineData("I said stop")]
    [InlineData("Just stop")]
    [InlineData("Stop it")]
    [InlineData("Quit it!")]
    [InlineData("Wrong number, stop")]
    [InlineData("Who is this? Remove me")]
    [InlineData("Stop texting my husband")]
    [InlineData("leave me alone")]
    [InlineData("lose my number")]
    [InlineData("Who is this?? Stop texting me, I never called you")]
    public void Revocation_phrases_are_opt_out(string body)
    {
        Assert.Equal(InboundIntent.OptOut, KeywordClassifier.Classify(body, currentlyOptedOut: false));
    }

    [Theory]
    // Keywords used as ordinary words: a conversation, never an opt-out (docs/product/consent.md).
    [InlineData("can you stop by at 3?")]
    [InlineData("stop by tomorrow")]
    [InlineData("Please stop by after 5")]
    [InlineData("Yes please stop by")]
    [InlineData("I need to cancel my appointment")]
    [InlineData("Can you cancel my appointment for Friday?")]
    [InlineData("cancel that, Tuesday is better")]
    [InlineData("Please don't cancel, I'm still coming")]
    [InlineData("What time do you end today?")]
    [InlineData("End of the week works for me")]
    [InlineData("I'm at the end of the driveway")]
    [InlineData("My water heater just quit working")]
    [InlineData("The furnace quit. Can you come today?")]
    [InlineData("The leak won't stop")]
    [InlineData("Is there a way to stop the dripping?")]
    [InlineData("Can you remove the old water heater?")]
    [InlineData("Can you take me off the schedule for Tuesday and put me on Wednesday?")]
    [InlineData("Stop sign on the corner, blue house")]
    [InlineData("Don't stop texting me updates please")]
    [InlineData("I'll stop texting you and just call")]
    [InlineData("Can you stop sending the technician? I fixed it")]
    [InlineData("Can you come by? If not, cancel.")]
    [InlineData("I want to cancel")]
    [InlineData("Cancel it")]
    [InlineData("Cancel my service")]
    [InlineData("Please remove the stump")]
    [InlineData("The end")]
    [InlineData("Don't stop")]
    [InlineData("Wrong number")]
    [InlineData("You can text me, don't call me")]
    [InlineData("Text me when you're on the way")]
    [InlineData("No more than 200 please")]
    [InlineData("When can you start?")]
    [InlineData("Need help with my sink")]
    [InlineData("More info on pricing please")]
    [InlineData("No mas de 100 dolares")]
    [InlineData("Thank you!")]
    [InlineData("ok")]
    [InlineData("🛑")]
    [InlineData("...")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Sentences_that_merely_contain_a_keyword_are_conversation(string? body)
    {
        Assert.Equal(InboundIntent.Conversation, KeywordClassifier.Classify(body, currentlyOptedOut: false));
        Assert.Equal(InboundIntent.Conversation, KeywordClassifier.Classify(body, currentlyOptedOut: true));
    }

    [Theory]
    // OPT-06: START and UNSTOP always opt in; YES only while opted out.
    [InlineData("START", false, InboundIntent.OptIn)]
    [InlineData("start", true, InboundIntent.OptIn)]
    [InlineData(" Start ", true, InboundIntent.OptIn)]
    [InlineData("START.", true, InboundIntent.OptIn)]
    [InlineData("UNSTOP", true, InboundIntent.OptIn)]
    [InlineData("unstop", false, InboundIntent.OptIn)]
    [InlineData("Unstop!", true, InboundIntent.OptIn)]
    [InlineData("YES", true, InboundIntent.OptIn)]
    [InlineData("yes", true, InboundIntent.OptIn)]
    [InlineData(" Yes! ", true, InboundIntent.OptIn)]
    [InlineData("YES", false, InboundIntent.Conversation)]
    [InlineData("yes", false, InboundIntent.Conversation)]
    [InlineData("Yes!", false, InboundIntent.Conversation)]
    [InlineData("Yes, tomorrow works", true, InboundIntent.Conversation)]
    [InlineData("Yes, tomorrow works", false, InboundIntent.Conversation)]
    [InlineData("start over", true, InboundIntent.Conversation)]
    // OPT-07: HELP and INFO in any case, whatever the consent state.
    [InlineData("HELP", false, InboundIntent.Help)]
    [InlineData("help", true, InboundIntent.Help)]
    [InlineData(" Help? ", false, InboundIntent.Help)]
    [InlineData("INFO", false, InboundIntent.Help)]
    [InlineData("info", true, InboundIntent.Help)]
    [InlineData("Info.", false, InboundIntent.Help)]
    [InlineData("help me with my sink", false, InboundIntent.Conversation)]
    // An opt-out stays an opt-out when already opted out (a repeated STOP).
    [InlineData("STOP", true, InboundIntent.OptOut)]
    public void Opt_in_help_and_yes_depend_on_keyword_and_state(string body, bool currentlyOptedOut, InboundIntent expected)
    {
        Assert.Equal(expected, KeywordClassifier.Classify(body, currentlyOptedOut));
    }

    [Theory]
    [InlineData("\uD800 STOP")]
    [InlineData("STOP \uDC00")]
    [InlineData("\uDBFF\uDBFFstop\uDFFF")]
    public void A_text_with_a_lone_surrogate_half_is_still_classified(string body)
    {
        // Found by the property test: Unicode normalization refuses such strings, and a STOP next to one must still count.
        Assert.Equal(InboundIntent.OptOut, KeywordClassifier.Classify(body, currentlyOptedOut: false));
    }

    [Theory]
    [InlineData("\uFFFE STOP")]
    [InlineData("STOP\uFFFF")]
    [InlineData("\uFDD0stop\uFDEF")]
    [InlineData("\uD83F\uDFFE STOP")] // U+1FFFE
    [InlineData("STOP \uDBFF\uDFFF")] // U+10FFFF
    public void A_text_with_a_noncharacter_is_still_classified(string body)
    {
        // Found by the property test: normalization refuses noncharacters too, and a STOP next to one must still count.
        Assert.Equal(InboundIntent.OptOut, KeywordClassifier.Classify(body, currentlyOptedOut: false));
    }
}
