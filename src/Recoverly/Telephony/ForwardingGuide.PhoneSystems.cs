namespace Recoverly.Telephony;

/// <summary>Business phone systems set in a portal, and the systems that can't forward only missed calls (call-through).</summary>
public static partial class ForwardingGuide
{
    private const string PortalCost = "Forwarding to an outside number may use your phone system plan's outbound minutes.";

    private static string NeverRingTogether(string display) =>
        $"Never ring {display} at the same time as your phones: Recoverly answers at once and would take calls you could have answered.";

    /// <summary>Call-through: the Recoverly number is published and rings the business line first; nothing on the line changes.</summary>
    private static ForwardingInstructions CallThrough(ForwardingSystem system, DialNumber number)
    {
        var why = system.Key == "googlevoice"
            ? "Google Voice doesn't document a way to forward only the calls you don't answer to another number, so don't go looking for a setting: use call-through mode."
            : "Grasshopper True Solo has room for one forwarding number per extension — your own phone — so Recoverly can't be added after it: use call-through mode.";
        return new ForwardingInstructions(system, number.Display, ForwardingMethod.CallThrough,
            Before: [], Setup: [], AllAtOnce: null, RingTime: null, Check: [],
            Steps:
            [
                why,
                $"In call-through mode your customers call {number.Display}. Recoverly rings your business line for {WebhookEndpoints.CallThroughRingSeconds} seconds first and texts the caller only if nobody answers.",
                $"Put {number.Display} on your website, listings, invoices and vehicle. Calls to your old number still reach you, but Recoverly can't text back the ones you miss.",
                system.Key == "googlevoice"
                    ? $"Don't add {number.Display} as a linked number in Google Voice: linked numbers ring together with your phones, so Recoverly would answer first."
                    : NeverRingTogether(number.Display),
            ],
            Undo:
            [
                new(UndoEffect.NothingChanged, "Nothing on your line was changed, so your voicemail works as it always did. Before you leave Recoverly, put your own number back on your website and listings: the Recoverly number stops answering when your account is deleted."),
            ],
            Costs: [],
            Notes: [],
            ForwardEverything: null, UndoForwardEverything: null,
            Unconfirmed: null);
    }

    private static ForwardingInstructions PhoneSystem(ForwardingSystem system, DialNumber number)
    {
        var display = number.Display;
        var name = system.Name;
        var setVoicemailBack = new UndoStep(UndoEffect.RestoresVoicemail, "Set calls nobody answers back to voicemail in the same setting.");
        var (steps, notes, restore, unconfirmed) = system.Key switch
        {
            "ringcentral" => (new[]
            {
                "In the RingCentral app, go to Settings → Phone, and click Edit next to Call handling.",
                "Leave your own devices ringing first, as they do now (Ring in order or Ring all at once).",
                $"Under Missed calls, choose to forward calls to an external number and enter {display}. That choice appears only while voicemail is off for missed calls — turning it on means missed calls go to Recoverly instead of RingCentral voicemail.",
                "If you use After hours rules, do the same there.",
            }, new[]
            {
                "If your cell phone is one of the numbers RingCentral rings: a call you decline there goes to your cell's own voicemail, not on to RingCentral's missed-call rule, so it never reaches Recoverly. Let calls you can't take ring out.",
                $"If your cell rings longer than its own voicemail waits, the cell's voicemail answers and RingCentral counts the call as answered. Keep your cell's ring time in RingCentral at {RingSeconds} seconds or less.",
                NeverRingTogether(display),
            }, new UndoStep(UndoEffect.RestoresVoicemail, "In Settings → Phone → Call handling, set Missed calls back to Send to voicemail."), (string?)null),
            "grasshopper" => (new[]
            {
                "Sign in to the Grasshopper web app, open Extensions and click Edit next to the extension your customers reach.",
                "For each of your own phones in its forwarding numbers, set \"How should Grasshopper handle calls to this number?\" to \"Calls will be announced when you pick up\". A call you don't take then moves on to the next number instead of landing in your cell phone's voicemail.",
                "Give your own phones a ring time of 35 to 40 seconds: Grasshopper needs that long for the announcement to play.",
                $"Click Add a forwarding number, enter {display}, choose \"Calls will connect to you as soon as you pick up\", and put it last — after your own phones.",
            }, new[]
            {
                "Grasshopper True Solo allows only one forwarding number: pick Grasshopper True Solo instead.",
                NeverRingTogether(display),
            }, new UndoStep(UndoEffect.RestoresVoicemail, $"Remove {display} from the extension's forwarding numbers. With your phones set to announced calls, a call nobody takes goes to Grasshopper voicemail."), null),
            "nextiva" => (new[]
            {
                $"In NextOS, go to Voice → Forwarding → Call forward (unanswered) — admins: Users → Actions → Voice Settings → Forwarding. On the older voice dashboard it's Forwarding → Call Forward When Unanswered.",
                $"Enter {display} and {RingCount} rings before forwarding, and save.",
                $"To text callers who find you busy too, set Call forward (busy) to {display} the same way.",
            }, new[] { NeverRingTogether(display) }, new UndoStep(UndoEffect.RestoresVoicemail, "Turn off Call forward (unanswered) and Call forward (busy): unanswered calls then go to your Nextiva voicemail."), null),
            "zoom" => (new[]
            {
                "Sign in to the Zoom web portal, click Phone, then the Settings tab.",
                "In the Business Hours section, click Edit next to Call Handling.",
                $"For calls that aren't answered, choose Forward to External Contacts and add {display} (instead of forwarding to voicemail).",
                "If you use Closed Hours, do the same there.",
            }, new[]
            {
                "Your Zoom admin can block forwarding to outside numbers (the Call Overflow policy). If the option is missing, ask them.",
                NeverRingTogether(display),
            }, new UndoStep(UndoEffect.RestoresVoicemail, "In Call Handling, set unanswered calls back to Forward to Voicemail."), null),
            "ooma" => (new[]
            {
                "Ooma Office's own call forwarding settings offer \"Enabled\" (every call) and \"Enabled when devices offline\" — neither forwards only the calls you don't answer. Don't choose Enabled: your phones would never ring.",
                $"Ask Ooma whether your plan can send unanswered calls to an outside number; if it can, send them to {display}.",
                "If it can't, use call-through mode in Settings instead: you publish the Recoverly number and it rings your line first.",
            }, new[] { NeverRingTogether(display) }, setVoicemailBack, Unconfirmed("Ooma")),
            "openphone" => (new[]
            {
                "In OpenPhone (now Quo), open the call flow for your number. Don't pick \"Forward all calls\": it sends every call away without ringing you.",
                $"Keep your own phones ringing first. Where the call flow handles calls nobody answered, forward to {display} instead of voicemail.",
                "If your call flow can't forward only unanswered calls, use call-through mode in Settings instead.",
            }, new[] { NeverRingTogether(display) }, new UndoStep(UndoEffect.RestoresVoicemail, "Put voicemail back as the call flow's step for calls nobody answered."), Unconfirmed("OpenPhone")),
            "vonage" => (new[]
            {
                "In the Vonage Business Admin Portal, go to Phone System → Extensions, click the pencil next to your extension, then Call Forwarding.",
                $"Forward calls you don't answer to {display}; keep your own phones ringing first.",
                "If Vonage only offers forwarding of every call, don't use it — use call-through mode in Settings instead.",
            }, new[] { NeverRingTogether(display) }, setVoicemailBack, Unconfirmed("Vonage")),
            _ => (new[]
            {
                $"Sign in to your {(system.Key == "dialpad" ? "Dialpad" : "phone system's")} admin or web portal and open the call handling (or call forwarding) rules for the number customers dial.",
                "Leave your own phones ringing first.",
                $"For calls that are not answered (and for busy, if offered), forward to the outside number {display} instead of voicemail.",
                "If the system can only forward every call, use call-through mode in Settings instead.",
            }, new[] { NeverRingTogether(display) }, setVoicemailBack, Unconfirmed(system.Key == "dialpad" ? "Dialpad" : "your provider")),
        };
        var provider = system.Key == "voip" ? "your provider" : name;
        return new ForwardingInstructions(system, display, ForwardingMethod.Portal,
            Before: [], Setup: [], AllAtOnce: null, RingTime: null, Check: [], Steps: steps,
            Undo:
            [
                restore,
                new(UndoEffect.TestCall, TestCallStep($"ask {provider} support")),
            ],
            Costs: [PortalCost],
            Notes: notes,
            ForwardEverything: null, UndoForwardEverything: null,
            Unconfirmed: unconfirmed);
    }
}
