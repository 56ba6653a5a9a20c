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
    public PlanState Plan { get; set; } = PlanState.Trial;
    public DateTime TrialEndsAt { get; set; }
    public DateTime? PastDueSince { get; set; }
    /// <summary>Null means the default template.</summary>
    public string? TextBackTemplate { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ForwardingVerifiedAt { get; set; }

    /// <summary>The business-local day the text-back counter belongs to (yyyy-MM-dd).</summary>
    public string? CapDay { get; set; }
    public int CapCount { get; set; }

    public List<RecoverlyNumber> Numbers { get; set; } = [];
}

/// <summary>A number Recoverly owns at the telephony provider on behalf of a business.</summary>
public sealed class RecoverlyNumber
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    public required string E164 { get; set; }
    public DateTime AssignedAt { get; set; }
}
