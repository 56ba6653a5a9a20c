namespace Recoverly.Owners;

/// <summary>
/// One business-local day's report figures, kept so a year's report sums 365 rows instead of counting 100k calls
/// (docs/product/report.md, "How the figures are kept"). Valid while <see cref="CountedGeneration"/> equals
/// <see cref="Generation"/> and <see cref="Zone"/> is the business's zone; a change to a call's marks bumps
/// <see cref="Generation"/>.
/// </summary>
public sealed class ReportDay
{
    public long BusinessId { get; set; }
    /// <summary><see cref="DateOnly.DayNumber"/> of the local day.</summary>
    public int Day { get; set; }
    /// <summary>The time zone the day was counted in.</summary>
    public string Zone { get; set; } = "";
    public long Generation { get; set; }
    /// <summary>The <see cref="Generation"/> the figures were counted at.</summary>
    public long CountedGeneration { get; set; }
    public int Calls { get; set; }
    public int Missed { get; set; }
    public int Texted { get; set; }
    public int Replied { get; set; }
    public int Answered { get; set; }
    public int Booked { get; set; }
    public long RevenueCents { get; set; }
    public int BookedWithoutValue { get; set; }
}
