namespace Recoverly.Telephony;

public enum ForwardingKind { Mobile, Landline, PhoneSystem }

/// <summary>One thing to dial (or, for phone systems, one setting to change) and what it does.</summary>
public sealed record DialCode(string Code, string What);

/// <summary>A carrier or phone system the owner can pick.</summary>
public sealed record ForwardingSystem(string Key, string Name, ForwardingKind Kind);

/// <summary>Everything the owner needs for one system, with the Recoverly number filled in.</summary>
/// <param name="NumberForDisplay">The Recoverly number as the owner reads it: "(512) 555-0100".</param>
/// <param name="Setup">Dial these (mobile and landline); empty for phone systems.</param>
/// <param name="AllAtOnce">One code that does the work of <paramref name="Setup"/> at once, where the network has one.</param>
/// <param name="Check">Codes that show what is forwarded now.</param>
/// <param name="Steps">Portal steps for phone systems (RingCentral, Grasshopper, …).</param>
/// <param name="ForwardEverything">The code that forwards every call — shown only as a warning.</param>
public sealed record ForwardingInstructions(
    ForwardingSystem System,
    string NumberForDisplay,
    IReadOnlyList<DialCode> Setup,
    DialCode? AllAtOnce,
    IReadOnlyList<DialCode> Check,
    IReadOnlyList<DialCode> Undo,
    IReadOnlyList<string> Steps,
    IReadOnlyList<string> Notes,
    DialCode? ForwardEverything,
    DialCode? UndoForwardEverything);

/// <summary>
/// Conditional call forwarding instructions per carrier / phone system (SPEC 1.8; the codes and
/// their sources are in reference/compliance.md §8). Used by onboarding and the public guides.
/// Forwarding must be conditional (no answer / busy / unreachable): Recoverly answers at once,
/// so anything that reaches it before the owner's phone has rung out is a call the owner lost.
/// </summary>
public static class ForwardingGuide
{
    /// <summary>Seconds the owner's phone rings before a GSM no-answer forward (5–30 in steps of 5).</summary>
    public const int RingSeconds = 20;

    public const string EveryCallWarning =
        "Don't dial *72. It forwards EVERY call to Recoverly, so your phone never rings and every caller gets a text instead of you.";

    public static IReadOnlyList<ForwardingSystem> Systems { get; } =
    [
        new("att", "AT&T", ForwardingKind.Mobile),
        new("tmobile", "T-Mobile", ForwardingKind.Mobile),
        new("verizon", "Verizon", ForwardingKind.Mobile),
        new("uscellular", "UScellular", ForwardingKind.Mobile),
        new("gsm", "Other mobile carrier (Mint, Metro, Cricket and other GSM networks)", ForwardingKind.Mobile),
        new("landline", "Landline (phone company line)", ForwardingKind.Landline),
        new("ringcentral", "RingCentral", ForwardingKind.PhoneSystem),
        new("grasshopper", "Grasshopper", ForwardingKind.PhoneSystem),
        new("googlevoice", "Google Voice", ForwardingKind.PhoneSystem),
        new("voip", "Other business phone system (VoIP)", ForwardingKind.PhoneSystem),
    ];

    public static ForwardingSystem? Find(string? key) =>
        Systems.FirstOrDefault(s => string.Equals(s.Key, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>Instructions for <paramref name="key"/> with <paramref name="recoverlyNumber"/> (E.164) filled in; null for an unknown key.
    /// A null number renders placeholders, for guides shown before a number is assigned.</summary>
    public static ForwardingInstructions? For(string? key, string? recoverlyNumber)
    {
        if (Find(key) is not { } system) return null;
        var display = recoverlyNumber is null ? "your Recoverly number" : Phones.FormatForDisplay(recoverlyNumber);
        // GSM networks take the number in international format; US star codes take the 10 digits.
        var intl = recoverlyNumber ?? "+1XXXXXXXXXX";
        var tenDigits = recoverlyNumber is { Length: 12 } n && n.StartsWith("+1", StringComparison.Ordinal) ? n[2..]
            : recoverlyNumber ?? "XXXXXXXXXX";
        return system.Key switch
        {
            "att" => Gsm(system, display, intl,
                "AT&T guides disagree about these codes; the ones above are the GSM standard AT&T's network uses. If your phone says a code failed, call AT&T (611) and ask for \"conditional call forwarding when busy, unanswered or unreachable\" to " + display + "."),
            "tmobile" => Gsm(system, display, intl,
                "On T-Mobile the all-at-once code can report success while only the no-answer part took: check each part with the codes below."),
            "uscellular" => Gsm(system, display, intl,
                "UScellular customers are moving to T-Mobile's network; these are the standard codes there. If your phone says a code failed, call UScellular support and ask for \"call forwarding when busy or unanswered\" to " + display + "."),
            "gsm" => Gsm(system, display, intl, null),
            "verizon" => Verizon(system, display, tenDigits),
            "landline" => Landline(system, display, tenDigits),
            _ => PhoneSystem(system, display),
        };
    }

    private static readonly string[] MobileNotes =
    [
        "iPhone: turn off Live Voicemail (Settings → Apps → Phone → Live Voicemail) and Silence Unknown Callers; both catch calls on the phone before your carrier can forward them.",
        "Forwarding can be lost when you change phone, SIM card, plan or carrier, and it does not work while roaming: run the test call again after any of those.",
    ];

    private static ForwardingInstructions Gsm(ForwardingSystem system, string display, string number, string? carrierNote) => new(
        system, display,
        Setup:
        [
            new($"**61*{number}**{RingSeconds}#", $"Missed calls: forward when you don't answer within {RingSeconds} seconds"),
            new($"**67*{number}#", "Busy: forward when you're already on a call or decline"),
            new($"**62*{number}#", "Unreachable: forward when your phone is off or has no signal"),
        ],
        AllAtOnce: new($"**004*{number}#", "All three at once (busy, no answer, unreachable)"),
        Check:
        [
            new("*#61#", "Shows where unanswered calls go"),
            new("*#67#", "Shows where calls go when you're busy"),
            new("*#62#", "Shows where calls go when you're unreachable"),
        ],
        Undo:
        [
            new("##004#", "Turns off all conditional forwarding: your phone rings and missed calls go to your voicemail as before"),
            new("##61#", "Turns off only the no-answer forward"),
        ],
        Steps: [],
        Notes: [.. carrierNote is null ? [] : new[] { carrierNote }, "Dial each code like a phone number and press Call; wait for the confirmation on screen.", .. MobileNotes],
        ForwardEverything: new($"**21*{number}#", "Forwards every call (your phone never rings) — don't use it"),
        UndoForwardEverything: new("##21#", "Turns off forwarding of every call"));

    private static ForwardingInstructions Verizon(ForwardingSystem system, string display, string tenDigits) => new(
        system, display,
        Setup: [new($"*71{tenDigits}", "Busy or no answer: forward calls you don't pick up")],
        AllAtOnce: null,
        Check: [],
        Undo: [new("*73", "Turns off forwarding: your phone rings and missed calls go to your voicemail as before")],
        Steps: [],
        Notes:
        [
            "Dial the code like a phone number and press Call; wait for the confirmation tone or message, then hang up.",
            "Verizon's own help pages only describe *72 (every call). If *71 gives an error, call Verizon (*611) and ask for \"No Answer/Busy Transfer\" to " + display + ".",
            .. MobileNotes,
        ],
        ForwardEverything: new($"*72{tenDigits}", "Forwards every call (your phone never rings) — don't use it"),
        UndoForwardEverything: new("*73", "Turns off forwarding of every call"));

    private static ForwardingInstructions Landline(ForwardingSystem system, string display, string tenDigits) => new(
        system, display,
        Setup:
        [
            new($"*92{tenDigits}", "No answer: forward calls you don't pick up"),
            new($"*90{tenDigits}", "Busy: forward calls while you're on the line"),
        ],
        AllAtOnce: new($"*68{tenDigits}", "Busy and no answer together, on phone companies that use *68 instead"),
        Check: [],
        Undo:
        [
            new("*93", "Turns off the no-answer forward"),
            new("*91", "Turns off the busy forward"),
            new("*88", "Turns off *68 forwarding"),
        ],
        Steps: [],
        Notes:
        [
            "Codes vary by phone company. Lift the handset, dial the code, and listen: a stutter or confirmation tone means it worked. Some lines ask you to dial the number after a second dial tone.",
            "If you hear an error, call your phone company and ask for \"call forwarding on busy and no answer\" to " + display + ". Forwarded calls may count as long-distance calls on some plans.",
        ],
        ForwardEverything: new($"*72{tenDigits}", "Forwards every call (your phone never rings) — don't use it"),
        UndoForwardEverything: new("*73", "Turns off forwarding of every call"));

    private static ForwardingInstructions PhoneSystem(ForwardingSystem system, string display)
    {
        var (steps, notes) = system.Key switch
        {
            "ringcentral" => (new[]
            {
                "Sign in to RingCentral (the app's settings or the online account portal) and open your extension's call handling & forwarding rules.",
                "Leave your own phones ringing first, as they do now.",
                $"In the rule for calls that are not answered, choose to forward (transfer) the call to an external number and enter {display}, instead of sending it to voicemail.",
                "Do the same in the after-hours rule if you use one.",
            }, Array.Empty<string>()),
            "grasshopper" => (new[]
            {
                "Sign in to the Grasshopper web portal and open Extensions, then Edit on the extension your customers reach.",
                $"Add a forwarding number: {display}.",
                $"Put {display} LAST, so it rings only after your own phones have rung and nobody picked up. Never ring it at the same time as your phones.",
            }, new[] { "Recoverly answers as soon as its number rings. If it rings together with your phones, it takes calls you could have answered." }),
            "googlevoice" => (new[]
            {
                "Open Google Voice settings on the web and look at how calls are forwarded and what happens to unanswered calls.",
                $"If there is a rule for unanswered calls, send them to {display}.",
                $"Don't add {display} as a phone that rings together with yours: Recoverly would answer first.",
            }, new[] { "We have not confirmed a Google Voice setting for this. If Google Voice can only forward every call, use call-through mode instead (in Settings): you publish the Recoverly number and it rings your phone first." }),
            _ => (new[]
            {
                "Sign in to your phone system's web portal and open the call handling (or call forwarding) rules for the number customers dial.",
                "Leave your own phones ringing first.",
                $"For calls that are not answered (and for busy, if offered), forward to the external number {display} instead of voicemail.",
            }, new[] { $"Never ring {display} at the same time as your phones: Recoverly answers at once and would take calls you could have answered." }),
        };
        return new ForwardingInstructions(system, display, Setup: [], AllAtOnce: null, Check: [],
            Undo: [new("Set the rule back to voicemail", "Your phones ring as before and missed calls go to voicemail")],
            Steps: steps, Notes: notes, ForwardEverything: null, UndoForwardEverything: null);
    }
}
