namespace Recoverly.Telephony;

/// <summary>Mobile carriers: GSM networks (US and Canada), Verizon and the brands on its network, Google Fi.</summary>
public static partial class ForwardingGuide
{
    private static readonly string[] MobileNotes =
    [
        DeclinedCallNote,
        "iPhone: turn off Live Voicemail (Settings → Apps → Phone → Live Voicemail) and Silence Unknown Callers; both catch calls on the phone before your carrier can forward them.",
        "Forwarding can be lost when you change phone, SIM card, plan or carrier, and it does not work while roaming: run the test call again after any of those.",
    ];

    private static string CarrierName(ForwardingSystem system) => system.Key switch
    {
        "tmobile" => "T-Mobile",
        "visible" => "Visible",
        "xfinitymobile" => "Xfinity Mobile",
        "spectrummobile" => "Spectrum Mobile",
        "gsm" => "your carrier",
        "verizonprepaid" => "your prepaid provider",
        _ => system.Name,
    };

    /// <summary>
    /// The GSM supplementary-service codes: register with **, erase with ##, check with *#. Re-registering the
    /// three conditional forwards to the voicemail number is what brings voicemail back; erasing them does not.
    /// </summary>
    private static ForwardingInstructions UsGsm(ForwardingSystem system, DialNumber number)
    {
        var carrier = CarrierName(system);
        var careLine = system.Key == "gsm" ? "your carrier's customer care" : $"{carrier} (611 from your phone)";
        var n = number.OneTen;
        var carrierNote = system.Key switch
        {
            "att" => $"AT&T doesn't publish these codes on a help page we could check; they are the GSM standard AT&T's network uses. If your phone says a code failed, call AT&T (611) and ask for \"conditional call forwarding when busy, unanswered or unreachable\" to {number.Display}.",
            "tmobile" => "On T-Mobile the all-at-once code can report success while only the no-answer part took: check each part with the codes under \"Check it\".",
            "uscellular" => $"UScellular customers are moving to T-Mobile's network; these are the GSM standard codes there. If your phone says a code failed, call UScellular (611) and ask for \"call forwarding when busy or unanswered\" to {number.Display}.",
            _ => "These are the GSM standard codes most carriers use. If your phone says a code failed, ask your carrier how to forward calls you don't answer.",
        };
        return new ForwardingInstructions(system, number.Display, ForwardingMethod.DialCodes,
            Before: [new("*#61#", "Shows where your unanswered calls go now: your voicemail number. Write it down — you need it to undo forwarding and keep your voicemail.")],
            Setup:
            [
                new($"**61*{n}**{RingSeconds}#", $"No answer: forwards calls you don't pick up within {RingSeconds} seconds"),
                new($"**67*{n}#", "Busy: forwards calls that come in while you're on another call"),
                new($"**62*{n}#", "Unreachable: forwards calls while your phone is off or has no signal"),
            ],
            AllAtOnce: new($"**004*{n}**{RingSeconds}#", "All three at once (no answer, busy, unreachable)"),
            RingTime: RingTimeReason,
            Check:
            [
                new("*#61#", "Shows where unanswered calls go"),
                new("*#67#", "Shows where calls go when you're busy"),
                new("*#62#", "Shows where calls go when you're unreachable"),
            ],
            Steps: [],
            Undo: GsmUndo("**004*", careLine),
            Costs: [MobileMinutesCost, PrepaidCost],
            Notes: [carrierNote, "Dial each code like a phone number and press Call; wait for the confirmation on screen.", .. MobileNotes],
            ForwardEverything: new($"**21*{n}#", "Forwards every call (your phone never rings) — don't use it"),
            UndoForwardEverything: new("##21#", "Turns off forwarding of every call"),
            Unconfirmed: null);
    }

    /// <summary>Undo on a GSM line: point the three conditional forwards back at the voicemail number written down before setup.</summary>
    private static UndoStep[] GsmUndo(string allConditional, string careLine) =>
    [
        new(UndoEffect.RestoresVoicemail,
            $"Points unanswered, busy and unreachable calls back at your voicemail. Use the voicemail number you wrote down before you started; if it starts with +1, type 1 instead.",
            $"{allConditional}{VoicemailNumber}#"),
        new(UndoEffect.AskProvider, $"Didn't write it down? Call {careLine} and ask them to send unanswered, busy and unreachable calls to your voicemail again."),
        new(UndoEffect.TestCall, TestCallStep($"call {careLine}")),
        new(UndoEffect.CancelsForwarding,
            "Switches off all three forwards — including the ones that take missed calls to your voicemail. On its own it leaves callers with no voicemail at all: use the first step instead.",
            "##004#"),
    ];

    /// <summary>Verizon's star codes: *71 forwards calls you don't answer or while you're busy, *73 turns forwarding off.</summary>
    private static ForwardingInstructions Verizon(ForwardingSystem system, DialNumber number)
    {
        var brand = system.Network is null ? "Verizon" : CarrierName(system);
        var notes = new List<string>
        {
            "Dial the code like a phone number and press Call; wait for the confirmation tone or message, then hang up.",
            $"If *71 gives an error, call {brand} (611) and ask for \"No Answer/Busy Transfer\" to {number.Display}.",
        };
        if (system.Network is not null)
            notes.Insert(0, $"{(system.Key == "verizonprepaid" ? "Your prepaid plan" : brand)} runs on Verizon's network and uses Verizon's codes, not the GSM codes (**61* and so on).");
        return new ForwardingInstructions(system, number.Display, ForwardingMethod.DialCodes,
            Before: [],
            Setup: [new($"*71{number.Ten}", "No answer or busy: forwards calls you don't pick up and calls that come in while you're on another call")],
            AllAtOnce: null, RingTime: null, Check: [], Steps: [],
            Undo:
            [
                new(UndoEffect.CancelsForwarding, "Turns off the forward to Recoverly.", "*73"),
                new(UndoEffect.TestCall, TestCallStep(null)),
                new(UndoEffect.AskProvider, $"If it doesn't, call {brand} (611) and ask them to turn voicemail back on for calls you don't answer."),
            ],
            Costs: system.Network is null
                ? ["Verizon bills airtime for every forwarded call under your plan, even though Recoverly answers it.", PrepaidCost]
                : [MobileMinutesCost, PrepaidCost],
            Notes: [.. notes, .. MobileNotes],
            ForwardEverything: new($"*72{number.Ten}", "Forwards every call (your phone never rings) — don't use it"),
            UndoForwardEverything: new("*73", "Turns off forwarding of every call"),
            Unconfirmed: system.Network is null ? null : Unconfirmed(brand));
    }

    private static string Unconfirmed(string provider) =>
        $"We couldn't check these steps on {provider}'s own help pages. If a code or setting doesn't work as described, check with {provider} — " +
        "the test call tells you whether forwarding works.";

    private static ForwardingInstructions GoogleFi(ForwardingSystem system, DialNumber number) => new(
        system, number.Display, ForwardingMethod.Portal,
        Before: [], Setup: [], AllAtOnce: null, RingTime: null, Check: [],
        Steps:
        [
            "Google Fi doesn't publish forwarding codes on a help page we could check, so we don't guess them here.",
            $"Ask Google Fi support (or look in the Google Fi app's call settings) whether your line can forward only the calls you don't answer to another number. If it can, forward those to {number.Display}.",
            "If Fi can only forward every call, don't turn that on — switch to call-through mode in Settings instead: you publish the Recoverly number and it rings your phone first.",
        ],
        Undo:
        [
            new(UndoEffect.CancelsForwarding, "Turn off the forward you set up in Google Fi."),
            new(UndoEffect.TestCall, TestCallStep(null)),
            new(UndoEffect.AskProvider, "If it doesn't, ask Google Fi support to send unanswered calls to your voicemail again."),
        ],
        Costs: [MobileMinutesCost],
        Notes: MobileNotes,
        ForwardEverything: null, UndoForwardEverything: null,
        Unconfirmed: Unconfirmed("Google Fi"));

    /// <summary>Koodo and TELUS write the codes with one star and ten digits: *61*4161234567#, off with #61#.</summary>
    private static ForwardingInstructions TelusNetwork(ForwardingSystem system, DialNumber number)
    {
        var n = number.Ten;
        var carrier = system.Name;
        return new ForwardingInstructions(system, number.Display, ForwardingMethod.DialCodes,
            Before: [new("*#61#", $"The standard GSM check code: shows where your unanswered calls go now — your voicemail number. Write it down; you need it to undo. If your phone shows an error, ask {carrier} for your voicemail number.")],
            Setup:
            [
                new($"*61*{n}#", "No answer: forwards calls you don't pick up"),
                new($"*67*{n}#", "Busy: forwards calls that come in while you're on another call"),
                new($"*62*{n}#", "Unreachable: forwards calls while your phone is off or out of coverage"),
            ],
            AllAtOnce: null, RingTime: null, Check: [], Steps: [],
            Undo:
            [
                new(UndoEffect.RestoresVoicemail,
                    "Points unanswered calls back at your voicemail, using the voicemail number you wrote down. Then do the same with *67* and *62*.",
                    $"*61*{VoicemailNumber}#"),
                new(UndoEffect.AskProvider, $"Didn't write it down? Call {carrier} and ask them to send unanswered, busy and unreachable calls to your voicemail again."),
                new(UndoEffect.TestCall, TestCallStep($"call {carrier}")),
                new(UndoEffect.CancelsForwarding,
                    "Switch the three forwards off entirely — voicemail included. On their own they leave callers with no voicemail: use the first step instead.",
                    "#61#, #67#, #62#"),
            ],
            Costs:
            [
                system.Key == "koodo"
                    ? "Koodo charges $3 a month for Call Forwarding (add it in Self Serve); without it, forwarded calls cost 60¢ a minute."
                    : "TELUS's Call Forwarding feature includes 3,000 forwarded minutes a month to Canadian or US numbers, then 75¢ a minute; without the feature on your plan, forwarded minutes are billed pay-per-use.",
                "If your Recoverly number is long distance from your phone, dial 1 before the area code.",
            ],
            Notes:
            [
                "TELUS's network can wait 10, 20 or 30 seconds before forwarding an unanswered call; if calls forward too soon or too late, ask " + carrier + " to set it to 20 seconds.",
                "Enter the code, then press Send; a message on screen confirms it.",
                .. MobileNotes,
            ],
            ForwardEverything: new($"*21*{n}#", "Forwards every call (your phone never rings) — don't use it"),
            UndoForwardEverything: new("#21#", "Turns off forwarding of every call"),
            Unconfirmed: null);
    }

    /// <summary>Bell and Rogers: the GSM standard codes, with a note that their own pages could not be checked.</summary>
    private static ForwardingInstructions CanadaGsm(ForwardingSystem system, DialNumber number)
    {
        var n = number.Ten;
        var carrier = system.Name;
        return new ForwardingInstructions(system, number.Display, ForwardingMethod.DialCodes,
            Before: [new("*#61#", "Shows where your unanswered calls go now: your voicemail number. Write it down — you need it to undo forwarding and keep your voicemail.")],
            Setup:
            [
                new($"**61*{n}**{RingSeconds}#", $"No answer: forwards calls you don't pick up within {RingSeconds} seconds"),
                new($"**67*{n}#", "Busy: forwards calls that come in while you're on another call"),
                new($"**62*{n}#", "Unreachable: forwards calls while your phone is off or has no signal"),
            ],
            AllAtOnce: null, RingTime: RingTimeReason,
            Check: [new("*#61#", "Shows where unanswered calls go"), new("*#67#", "Shows where calls go when you're busy")],
            Steps: [],
            Undo: GsmUndo("**004*", $"{carrier} customer care"),
            Costs:
            [
                $"Canadian carriers often charge for forwarding — a monthly feature or a per-minute fee. Check your plan with {carrier} before you start.",
                "If your Recoverly number is long distance from your phone, dial 1 before the area code.",
            ],
            Notes: ["These are the GSM standard codes.", .. MobileNotes],
            ForwardEverything: new($"**21*{n}#", "Forwards every call (your phone never rings) — don't use it"),
            UndoForwardEverything: new("##21#", "Turns off forwarding of every call"),
            Unconfirmed: Unconfirmed(carrier));
    }
}
