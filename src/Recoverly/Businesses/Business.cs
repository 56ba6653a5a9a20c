namespace Recoverly.Businesses;

public enum CallMode { Forwarding, CallThrough }

public enum GreetingKind { Spoken, Voicemail, RejectBusy }

public enum PlanState { Trial, Founding, Active, PastDue, Canceled }

/// <summary>An owner-operated business using Recoverly; the tenant every other row hangs off.</summary>
public sealed class Business
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The number customers dial (E.164).</summary>
    public required string BusinessPhone { get; set; }
    public string? OwnerPhone { get; set; }
    public string? OwnerEmail { get; set; }
    public CallMode Mode { get; set; } = CallMode.Forwarding;
    public string TimeZone { get; set; } = "America/Chicago";
    public GreetingKind Greeting { get; set; } = GreetingKind.Spoken;
    public int EpisodeWindowMinutes { get; set; } = 12 * 60;
    public int DailyTextBackCap { get; set; } = 100;
    public int DailyOwnerAlertCap { get; set; } = 50;
    public bool TextingPaused { get; set; }
    /// <summary>The owner turned the line-type check off (it costs a provider lookup per new caller; docs/product/texts.md, "Landlines").</summary>
    public bool LineTypeLookupOff { get; set; }
    public PlanState Plan { get; set; } = PlanState.Trial;
    public DateTime TrialEndsAt { get; set; }
    public DateTime? PastDueSince { get; set; }
    public string? StripeCustomerId { get; set; }
    public string? StripeSubscriptionId { get; set; }
    /// <summary>Creation time of the Stripe event that last set <see cref="Plan"/> (out-of-order events are ignored).</summary>
    public DateTime? PlanChangedAt { get; set; }
    /// <summary>Null means the default template.</summary>
    public string? TextBackTemplate { get; set; }
    /// <summary>Used outside business hours; null means the default template.</summary>
    public string? AfterHoursTemplate { get; set; }
    /// <summary>Business hours in the business's time zone; null = no hours set (always business hours).</summary>
    public TimeOnly? OpensAt { get; set; }
    public TimeOnly? ClosesAt { get; set; }
    /// <summary>Open days as "Mon,Tue,Wed,Thu,Fri".</summary>
    public string OpenDays { get; set; } = "Mon,Tue,Wed,Thu,Fri";
    /// <summary>Owner alert quiet hours (business-local); alerts then wait for a morning digest.</summary>
    public TimeOnly? QuietHoursStart { get; set; }
    public TimeOnly? QuietHoursEnd { get; set; }
    /// <summary>
    /// Text-backs for calls missed between 9 pm and 8 am (the caller's local time) wait until 8 am (opt-in;
    /// docs/product/overnight-hold.md).
    /// </summary>
    public bool HoldTextBacksOvernight { get; set; }
    /// <summary>Alerts by email (SMTP) instead of SMS.</summary>
    public bool EmailAlerts { get; set; }
    /// <summary>The owner's emergency words, one a line; null means the suggested list (<c>Owners/EmergencyWords.cs</c>).</summary>
    public string? EmergencyWords { get; set; }
    public string? ForwardingCarrier { get; set; }
    /// <summary>The owner's booking page; <c>{booking_link}</c> in texts becomes it (https only: <c>Texts/BookingLink.cs</c>).</summary>
    public string? BookingLink { get; set; }
    /// <summary>The weekly summary e-mail (opt-in).</summary>
    public bool WeeklySummary { get; set; }
    /// <summary>The first day (business-local Monday, yyyy-MM-dd) of the last week whose summary was queued: one per week.</summary>
    public string? WeeklySummaryWeek { get; set; }
    /// <summary>Random; the summary's one-click stop link carries it, so stopping needs no login.</summary>
    public string? SummaryStopToken { get; set; }
    /// <summary>The report's estimates use the cost calculator's assumptions (docs/product/report.md).</summary>
    public double EstimateBookPercent { get; set; } = 60;
    public double EstimateJobValue { get; set; } = 350;
    public double EstimateClosePercent { get; set; } = 50;
    public DateTime CreatedAt { get; set; }
    public DateTime? OnboardedAt { get; set; }
    public DateTime? ForwardingVerifiedAt { get; set; }

    /// <summary>
    /// The business line the owner proved to control with a verification call (docs/product/call-through.md). Call-through
    /// dials only this number, and only while it still equals <see cref="BusinessPhone"/>.
    /// </summary>
    public string? VerifiedLine { get; set; }
    public DateTime? LineVerifiedAt { get; set; }
    /// <summary>The code the last verification call said (hashed), the line it went to, its expiry and the wrong entries so far.</summary>
    public string? LineCodeHash { get; set; }
    public string? LineCodeTo { get; set; }
    public DateTime? LineCodeExpiresAt { get; set; }
    public int LineCodeAttempts { get; set; }

    /// <summary>True when incoming calls ring the business line: call-through chosen and that very line verified.</summary>
    public bool DialsBusinessLine => Mode == CallMode.CallThrough && VerifiedLine is not null && VerifiedLine == BusinessPhone;
    /// <summary>Set when the owner deleted the account: content is gone, consent evidence stays for its retention period.</summary>
    public DateTime? DeletedAt { get; set; }

    /// <summary>The business-local day the text-back counter belongs to (yyyy-MM-dd).</summary>
    public string? CapDay { get; set; }
    public int CapCount { get; set; }

    public List<RecoverlyNumber> Numbers { get; set; } = [];

    /// <summary>A new business on its free trial with its Recoverly number assigned (every way a business is created goes through here).</summary>
    public static Business StartTrial(string name, string businessPhone, string recoverlyNumber, string timeZone, DateTime nowUtc,
        SenderRegistration registration = SenderRegistration.Registered) => new()
    {
        Name = name,
        BusinessPhone = businessPhone,
        TimeZone = timeZone,
        CreatedAt = nowUtc,
        TrialEndsAt = nowUtc + Entitlement.TrialLength,
        Numbers =
        [
            new RecoverlyNumber
            {
                E164 = recoverlyNumber, AssignedAt = nowUtc, Registration = registration,
                RegistrationCheckAt = registration == SenderRegistration.Registered ? null : nowUtc,
            },
        ],
    };
}

/// <summary>A number Recoverly owns at the telephony provider on behalf of a business.</summary>
public sealed class RecoverlyNumber
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    public required string E164 { get; set; }
    public DateTime AssignedAt { get; set; }
    /// <summary>Texts per second this number may send; null = <c>Telephony:SendRatePerSecond</c> (toll-free and short codes send faster).</summary>
    public double? SendRatePerSecond { get; set; }
    /// <summary>Whether carriers will take texts from this number (docs/product/registration.md); only consulted when <c>Twilio:RegistrationCheck</c> is on.</summary>
    public SenderRegistration Registration { get; set; } = SenderRegistration.Registered;
    /// <summary>What the last check found, in the operator's words (no phone numbers); null when registered.</summary>
    public string? RegistrationDetail { get; set; }
    /// <summary>When the number's registration is next asked about; null when it needs no check (registered).</summary>
    public DateTime? RegistrationCheckAt { get; set; }
}

/// <summary>A sending number's A2P 10DLC campaign or toll-free verification state (docs/product/registration.md).</summary>
public enum SenderRegistration
{
    /// <summary>In a verified campaign's Messaging Service, or toll-free verification approved: texts go out.</summary>
    Registered,
    /// <summary>Submitted or not yet submitted: texts from it are held.</summary>
    Pending,
    /// <summary>The registry or Twilio refused it: texts are held and the operator must resubmit.</summary>
    Rejected,
    /// <summary>The check itself failed: held like Pending until a later check knows.</summary>
    Unknown,
}
