namespace Recoverly.Telephony;

public enum ForwardingKind { Mobile, Landline, PhoneSystem }

public enum ForwardingCountry { US, Canada }

/// <summary>How calls reach Recoverly: codes dialed on the phone, settings in a portal, or the Recoverly number published (call-through).</summary>
public enum ForwardingMethod { DialCodes, Portal, CallThrough }

/// <summary>A carrier or phone system the owner can pick.</summary>
/// <param name="Network">The network whose codes this brand uses ("Verizon"), when it is not the brand's own.</param>
public sealed record ForwardingSystem(string Key, string Name, ForwardingKind Kind,
    ForwardingCountry Country = ForwardingCountry.US, string? Network = null);

/// <summary>One thing to dial and what it does.</summary>
public sealed record DialCode(string Code, string What);

/// <summary>What an undo step does to the owner's voicemail — the point of the undo section.</summary>
public enum UndoEffect
{
    /// <summary>Points forwarding back at the voicemail: missed calls reach voicemail again.</summary>
    RestoresVoicemail,
    /// <summary>Switches a forward off. On most lines that also switches off the path to voicemail, so it never stands alone.</summary>
    CancelsForwarding,
    /// <summary>The owner asks the provider to put voicemail back.</summary>
    AskProvider,
    /// <summary>A test call shows whether voicemail answers again.</summary>
    TestCall,
    /// <summary>Nothing on the owner's line was changed (call-through), so voicemail was never touched.</summary>
    NothingChanged,
}

public sealed record UndoStep(UndoEffect Effect, string Text, string? Code = null);

/// <summary>Everything the owner needs for one system, with the Recoverly number filled in.</summary>
/// <param name="NumberForDisplay">The Recoverly number as the owner reads it: "(512) 555-0100".</param>
/// <param name="Before">Codes to dial before changing anything (write down where missed calls go now).</param>
/// <param name="Setup">Dial these (mobile and landline); empty for portals and call-through.</param>
/// <param name="AllAtOnce">One code that does the work of <paramref name="Setup"/> at once, where the network has one.</param>
/// <param name="RingTime">Why the no-answer forward waits as long as it does, where the code sets it.</param>
/// <param name="Steps">Portal or call-through steps.</param>
/// <param name="Undo">How to stop forwarding and keep voicemail; shown in the guide, on account deletion and before cancelling.</param>
/// <param name="ForwardEverything">The code that forwards every call — shown only as a warning.</param>
/// <param name="Unconfirmed">Set when the provider's own documentation could not confirm the steps: the page says to check with the provider.</param>
public sealed record ForwardingInstructions(
    ForwardingSystem System,
    string NumberForDisplay,
    ForwardingMethod Method,
    IReadOnlyList<DialCode> Before,
    IReadOnlyList<DialCode> Setup,
    DialCode? AllAtOnce,
    string? RingTime,
    IReadOnlyList<DialCode> Check,
    IReadOnlyList<string> Steps,
    IReadOnlyList<UndoStep> Undo,
    IReadOnlyList<string> Costs,
    IReadOnlyList<string> Notes,
    DialCode? ForwardEverything,
    DialCode? UndoForwardEverything,
    string? Unconfirmed);

/// <summary>
/// Conditional call forwarding instructions per carrier / phone system, the one source for the onboarding
/// step, the public guides and the undo shown on cancelling and account deletion. Forwarding must be
/// conditional (no answer / busy / unreachable): Recoverly answers at once, so anything that reaches it
/// before the owner's phone has rung out is a call the owner lost. Where each fact comes from, and what
/// could not be confirmed, is in docs/forwarding-sources.md.
/// </summary>
public static partial class ForwardingGuide
{
    /// <summary>Seconds the owner's phone rings before a GSM no-answer forward (the network takes 5–30 in steps of 5).</summary>
    public const int RingSeconds = 20;

    /// <summary>Rings before a portal's no-answer forward: a ring cycle is about 6 seconds, so 4 rings is close to <see cref="RingSeconds"/>.</summary>
    public const int RingCount = 4;

    public static readonly string RingTimeReason =
        $"Why {RingSeconds} seconds: that's about four rings — time to get to your phone and answer, and about the wait callers had before, " +
        "since carrier voicemail usually answers after 20 to 30 seconds. Longer, and callers hang up before Recoverly can text them; " +
        "shorter, and calls you could have taken go to Recoverly. The network accepts 5 to 30 seconds in steps of 5.";

    public const string EveryCallWarning =
        "Don't dial *72. It forwards EVERY call to Recoverly, so your phone never rings and every caller gets a text instead of you.";

    public const string IPhoneSwitchWarning =
        "Don't use the iPhone's Settings → Phone → Call Forwarding switch either: it also forwards EVERY call, so your phone never rings. " +
        "Forward only the calls you miss, with the codes for your carrier.";

    /// <summary>The one wording about declined calls, on every guide and on the verify page.</summary>
    public const string DeclinedCallNote =
        "Declining a call isn't the same as missing it: depending on your line, a call you decline either follows the busy forward to " +
        "Recoverly or goes straight to your voicemail. For the test call, let it ring out — don't decline it.";

    public const string VerizonBrandsNote =
        "Visible, Xfinity Mobile, Spectrum Mobile, Straight Talk and other prepaid brands on Verizon's network use Verizon's codes " +
        "(*71 and *73), not the GSM codes.";

    public const string PrepaidCost =
        "Some prepaid plans block call forwarding or forward only to local numbers — that's why your Recoverly number should be in your " +
        "own area code. If a code fails on a prepaid plan, ask your provider whether your plan allows forwarding.";

    private const string MobileMinutesCost =
        "Forwarded calls count against your plan's minutes, and some plans bill them as airtime even though Recoverly answers them.";

    public static IReadOnlyList<ForwardingSystem> Systems { get; } =
    [
        new("att", "AT&T", ForwardingKind.Mobile),
        new("tmobile", "T-Mobile (and Metro)", ForwardingKind.Mobile),
        new("verizon", "Verizon", ForwardingKind.Mobile),
        new("visible", "Visible (Verizon network)", ForwardingKind.Mobile, Network: "Verizon"),
        new("xfinitymobile", "Xfinity Mobile (Verizon network)", ForwardingKind.Mobile, Network: "Verizon"),
        new("spectrummobile", "Spectrum Mobile (Verizon network)", ForwardingKind.Mobile, Network: "Verizon"),
        new("verizonprepaid", "Straight Talk or other prepaid on Verizon's network", ForwardingKind.Mobile, Network: "Verizon"),
        new("uscellular", "UScellular", ForwardingKind.Mobile),
        new("googlefi", "Google Fi", ForwardingKind.Mobile),
        new("gsm", "Other mobile carrier (Mint, Cricket and other GSM networks)", ForwardingKind.Mobile),
        new("koodo", "Koodo", ForwardingKind.Mobile, ForwardingCountry.Canada),
        new("telus", "TELUS", ForwardingKind.Mobile, ForwardingCountry.Canada),
        new("bell", "Bell", ForwardingKind.Mobile, ForwardingCountry.Canada),
        new("rogers", "Rogers", ForwardingKind.Mobile, ForwardingCountry.Canada),
        new("landline", "Landline (phone company line)", ForwardingKind.Landline),
        new("comcastbusiness", "Comcast Business Voice", ForwardingKind.Landline),
        new("spectrumbusiness", "Spectrum Business Voice", ForwardingKind.Landline),
        new("coxbusiness", "Cox Business Voice", ForwardingKind.Landline),
        new("ringcentral", "RingCentral", ForwardingKind.PhoneSystem),
        new("grasshopper", "Grasshopper", ForwardingKind.PhoneSystem),
        new("grasshoppersolo", "Grasshopper True Solo", ForwardingKind.PhoneSystem),
        new("googlevoice", "Google Voice", ForwardingKind.PhoneSystem),
        new("openphone", "OpenPhone (Quo)", ForwardingKind.PhoneSystem),
        new("dialpad", "Dialpad", ForwardingKind.PhoneSystem),
        new("ooma", "Ooma Office", ForwardingKind.PhoneSystem),
        new("vonage", "Vonage Business", ForwardingKind.PhoneSystem),
        new("nextiva", "Nextiva", ForwardingKind.PhoneSystem),
        new("zoom", "Zoom Phone", ForwardingKind.PhoneSystem),
        new("voip", "Other business phone system (VoIP)", ForwardingKind.PhoneSystem),
    ];

    /// <summary>The picker's groups, in the order the owner sees them.</summary>
    public static IReadOnlyList<(string Title, IReadOnlyList<ForwardingSystem> Systems)> Groups { get; } =
    [
        ("Mobile phones (US)", [.. Systems.Where(s => s is { Kind: ForwardingKind.Mobile, Country: ForwardingCountry.US })]),
        ("Mobile phones (Canada)", [.. Systems.Where(s => s is { Kind: ForwardingKind.Mobile, Country: ForwardingCountry.Canada })]),
        ("Landlines and cable phone service", [.. Systems.Where(s => s.Kind == ForwardingKind.Landline)]),
        ("Business phone systems", [.. Systems.Where(s => s.Kind == ForwardingKind.PhoneSystem)]),
    ];

    public static ForwardingSystem? Find(string? key) =>
        Systems.FirstOrDefault(s => string.Equals(s.Key, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>Instructions for <paramref name="key"/> with <paramref name="recoverlyNumber"/> (E.164) filled in; null for an unknown key.
    /// A null number renders placeholders, for guides shown before a number is assigned.</summary>
    public static ForwardingInstructions? For(string? key, string? recoverlyNumber)
    {
        if (Find(key) is not { } system) return null;
        var number = new DialNumber(recoverlyNumber);
        return system.Key switch
        {
            "att" or "tmobile" or "uscellular" or "gsm" => UsGsm(system, number),
            "verizon" or "visible" or "xfinitymobile" or "spectrummobile" or "verizonprepaid" => Verizon(system, number),
            "googlefi" => GoogleFi(system, number),
            "koodo" or "telus" => TelusNetwork(system, number),
            "bell" or "rogers" => CanadaGsm(system, number),
            "landline" => Landline(system, number),
            "comcastbusiness" or "spectrumbusiness" or "coxbusiness" => CableVoice(system, number),
            "grasshoppersolo" or "googlevoice" => CallThrough(system, number),
            _ => PhoneSystem(system, number),
        };
    }

    /// <summary>
    /// A note when the Recoverly number's area code differs from the business line's: some prepaid plans forward
    /// only to local numbers. Null when both are in the same area code or either is not a +1 number.
    /// </summary>
    public static string? AreaCodeNote(string recoverlyNumber, string businessLine) =>
        AreaCode(recoverlyNumber) is { } ours && AreaCode(businessLine) is { } theirs && ours != theirs
            ? $"Your Recoverly number is in area code {ours} and your business line in {theirs}. If your plan forwards only to local " +
              $"numbers, a forward to Recoverly fails: ask Recoverly support for a number in area code {theirs}."
            : null;

    private static string? AreaCode(string e164) =>
        e164 is { Length: 12 } && e164.StartsWith("+1", StringComparison.Ordinal) ? e164[2..5] : null;

    /// <summary>The Recoverly number in the forms carriers ask for, or placeholders before one is assigned.</summary>
    private readonly record struct DialNumber(string? E164)
    {
        /// <summary>As the owner reads it: "(512) 555-0100".</summary>
        public string Display => E164 is null ? "your Recoverly number" : Phones.FormatForDisplay(E164);

        /// <summary>1 and ten digits, no "+": the form US GSM carriers write, and easy on an iPhone keypad where "+" needs a long press.</summary>
        public string OneTen => E164 is { } n && n.StartsWith('+') ? n[1..] : "1XXXXXXXXXX";

        /// <summary>Area code and number, the form Verizon, landline codes and Canadian carriers write.</summary>
        public string Ten => E164 is { Length: 12 } n && n.StartsWith("+1", StringComparison.Ordinal) ? n[2..] : E164?.TrimStart('+') ?? "XXXXXXXXXX";
    }

    private const string VoicemailNumber = "[your voicemail number]";

    /// <summary>The test call that shows voicemail is back; <paramref name="otherwise"/> says what to do if it isn't (null when the next step says so).</summary>
    private static string TestCallStep(string? otherwise) =>
        "Then call your business line from another phone and let it ring out: your voicemail should answer" +
        (otherwise is null ? "." : $". If it doesn't, {otherwise}.");
}
