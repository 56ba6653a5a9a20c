namespace Recoverly.Telephony;

/// <summary>Phone-company lines: landline star codes and cable companies' business voice portals.</summary>
public static partial class ForwardingGuide
{
    private const string LineCost =
        "Forwarded calls may be billed like calls you place — as long distance if the Recoverly number isn't local to your line.";

    /// <summary>Landline codes differ by phone company, so the guide gives the common ones and lets the confirmation tone and the test call decide.</summary>
    private static ForwardingInstructions Landline(ForwardingSystem system, DialNumber number)
    {
        var n = number.Ten;
        return new ForwardingInstructions(system, number.Display, ForwardingMethod.DialCodes,
            Before: [],
            Setup:
            [
                new($"*92{n}", "No answer: forwards calls you don't pick up"),
                new($"*90{n}", "Busy: forwards calls that come in while you're on the line"),
            ],
            AllAtOnce: new($"*68{n}", "Busy and no answer together, on phone companies that use *68 instead"),
            RingTime: null, Check: [], Steps: [],
            Undo:
            [
                new(UndoEffect.CancelsForwarding, "Turns off the no-answer forward (*88 if you used *68).", "*93"),
                new(UndoEffect.CancelsForwarding, "Turns off the busy forward.", "*91"),
                new(UndoEffect.TestCall, TestCallStep(null)),
                new(UndoEffect.AskProvider, "If it doesn't, call your phone company and ask them to send unanswered and busy calls to your voicemail again."),
            ],
            Costs: [LineCost],
            Notes:
            [
                "Codes differ by phone company. Lift the handset, dial the code and listen: a stutter or confirmation tone means it worked. Some lines ask you to dial the number after a second dial tone.",
                $"Some phone companies want the number of rings (a digit from 2 to 9) right after *92, then the number — for example *924{n} for four rings. Others use different codes altogether, such as 78# and 79#.",
                "On AT&T landlines, 72# forwards every call: don't use it either.",
                $"If you hear an error, call your phone company and ask for \"call forwarding on busy and no answer\" to {number.Display}. The test call decides whether it works.",
                DeclinedCallNote,
            ],
            ForwardEverything: new($"*72{n}", "Forwards every call (your phone never rings) — don't use it"),
            UndoForwardEverything: new("*73", "Turns off forwarding of every call"),
            Unconfirmed: null);
    }

    private static ForwardingInstructions CableVoice(ForwardingSystem system, DialNumber number)
    {
        var company = system.Name.Replace(" Voice", "", StringComparison.Ordinal);
        var (steps, undo, unconfirmed) = system.Key switch
        {
            "spectrumbusiness" => (new[]
            {
                "Sign in to Spectrum's Voice Manager portal and open the call forwarding settings for your business line.",
                "Open Call Forwarding No Answer and write down the number it points to now: that's your voicemail access number, which you need to undo.",
                $"Set Call Forwarding No Answer to {number.Display}, forwarding after {RingCount} rings (20 to 25 seconds).",
                $"To text callers who find your line busy too, set Call Forwarding Busy to {number.Display} as well (write its current number down first).",
            }, new UndoStep[]
            {
                new(UndoEffect.RestoresVoicemail, "In Voice Manager, point Call Forwarding No Answer and Busy back at the voicemail access number you wrote down. Spectrum points them there when voicemail is set up, and voicemail gets no calls until they point there again."),
                new(UndoEffect.AskProvider, "Lost the number? Ask Spectrum Business support for your voicemail access number."),
                new(UndoEffect.TestCall, TestCallStep("ask Spectrum Business support")),
            }, (string?)null),
            _ => (new[]
            {
                $"Sign in to your {company} account online and open the voice (phone) settings for your business line.",
                "Find call forwarding when you don't answer — often called \"Call Forwarding No Answer\" — and write down the number it points to now, if any: that's how your voicemail gets calls.",
                $"Set it to {number.Display}, forwarding after {RingCount} rings (20 to 25 seconds). Don't turn on forwarding of all calls.",
            }, new UndoStep[]
            {
                new(UndoEffect.RestoresVoicemail, "Point call forwarding when you don't answer back at the number you wrote down (your voicemail), or switch it back to voicemail."),
                new(UndoEffect.AskProvider, $"Not sure what it pointed to? Ask {company} support to send unanswered calls to your voicemail again."),
                new(UndoEffect.TestCall, TestCallStep($"ask {company} support")),
            }, Unconfirmed(company)),
        };
        return new ForwardingInstructions(system, number.Display, ForwardingMethod.Portal,
            Before: [], Setup: [], AllAtOnce: null, RingTime: null, Check: [], Steps: steps, Undo: undo,
            Costs: [LineCost],
            Notes: [DeclinedCallNote],
            ForwardEverything: new($"*72{number.Ten}", "Forwards every call (your phone never rings) — don't use it"),
            UndoForwardEverything: new("*73", "Turns off forwarding of every call"),
            Unconfirmed: unconfirmed);
    }
}
