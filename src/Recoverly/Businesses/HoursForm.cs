using System.Globalization;

namespace Recoverly.Businesses;

/// <summary>What the owner typed in the business-hours fields (raw form values); onboarding and Settings show the same fields.</summary>
public sealed record HoursInput(string? TimeZone, string? OpensAt, string? ClosesAt, IReadOnlyCollection<string> OpenDays, bool AlwaysOpen)
{
    /// <summary>The fields as a business's stored hours fill them in.</summary>
    public static HoursInput From(Business business) => new(business.TimeZone, HoursForm.Format(business.OpensAt),
        HoursForm.Format(business.ClosesAt), BusinessHours.OpenDayNames(business), business.OpensAt is null || business.ClosesAt is null);
}

/// <summary><see cref="HoursInput"/> once valid. No times means open around the clock: every call gets the business-hours text.</summary>
public sealed record ValidHours(string TimeZone, TimeOnly? OpensAt, TimeOnly? ClosesAt, string OpenDays);

/// <summary>
/// The one parser and validator for business hours, used by the onboarding wizard and the Settings page so
/// both accept the same input with the same words. Hours that close before they open run past midnight
/// (18:00–02:00 is one evening shift), which is how <see cref="BusinessHours.IsOpen"/> reads them.
/// </summary>
public static class HoursForm
{
    /// <summary>Form field names; errors are keyed by them so a page can show each beside its field.</summary>
    public const string TimeZoneField = "TimeZone", HoursField = "Hours", OpenDaysField = "OpenDays";

    public const string PickTimeZone = "Pick your time zone from the list.";
    public const string EnterTimes = "Enter your opening and closing times (like 08:00 and 17:00), or tick \"Open 24/7\".";
    public const string SameTimes = "Opening and closing times can't be the same. Open all day? Tick \"Open 24/7\".";
    public const string TickDays = "Tick the days you're open, or tick \"Open 24/7\".";

    /// <summary>US and Canadian zones offered in the picker (any other IANA zone is accepted too).</summary>
    public static readonly IReadOnlyList<(string Id, string Label)> CommonTimeZones =
    [
        ("America/New_York", "Eastern (New York)"),
        ("America/Chicago", "Central (Chicago)"),
        ("America/Denver", "Mountain (Denver)"),
        ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
        ("America/Los_Angeles", "Pacific (Los Angeles)"),
        ("America/Anchorage", "Alaska (Anchorage)"),
        ("Pacific/Honolulu", "Hawaii (Honolulu)"),
        ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
        ("America/Halifax", "Atlantic (Halifax)"),
        ("America/St_Johns", "Newfoundland (St. John's)"),
        ("America/Toronto", "Eastern (Toronto)"),
        ("America/Winnipeg", "Central (Winnipeg)"),
        ("America/Regina", "Central, no daylight saving (Regina)"),
        ("America/Edmonton", "Mountain (Edmonton)"),
        ("America/Vancouver", "Pacific (Vancouver)"),
    ];

    /// <summary>The picker's choices: the common zones, with the current one first when it is another valid zone.</summary>
    public static IReadOnlyList<(string Id, string Label)> ZonesFor(string? current)
    {
        var id = current?.Trim() ?? "";
        if (!IsTimeZone(id) || CommonTimeZones.Any(z => z.Id == id)) return CommonTimeZones;
        return [(id, id.Replace('_', ' ')), .. CommonTimeZones];
    }

    /// <summary>IANA ids only ("America/Chicago"): Windows ids would resolve on some hosts and not on others.</summary>
    public static bool IsTimeZone(string? id) =>
        id is { Length: > 0 } && !id.Contains(' ') && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId;

    private static readonly string[] TimeFormats = ["HH:mm", "H:mm", "HH:mm:ss", "h:mm tt", "h:mmtt", "h tt", "htt"];

    /// <summary>
    /// A time input sends 24-hour "HH:mm"; a browser without a time picker lets the owner type "6:00 PM" or "6pm".
    /// Null for anything else, including an empty field.
    /// </summary>
    public static TimeOnly? ParseTime(string? value) =>
        TimeOnly.TryParseExact(value?.Trim(), TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AllowInnerWhite, out var t) ? t : null;

    /// <summary>The value a time input shows: "18:00", or empty for no time.</summary>
    public static string Format(TimeOnly? time) => time?.ToString("HH:mm", CultureInfo.InvariantCulture) ?? "";

    /// <summary>Field name → problem, in the owner's words; empty (and <paramref name="valid"/> set) when the hours are valid.</summary>
    public static Dictionary<string, string> Validate(HoursInput input, out ValidHours? valid)
    {
        valid = null;
        var errors = new Dictionary<string, string>();
        var zone = input.TimeZone?.Trim() ?? "";
        if (!IsTimeZone(zone)) errors[TimeZoneField] = PickTimeZone;

        TimeOnly? opens = null, closes = null;
        var days = BusinessHours.DayNames.Where(d => input.OpenDays.Contains(d, StringComparer.OrdinalIgnoreCase)).ToList();
        if (input.AlwaysOpen) days = [.. BusinessHours.DayNames];
        else
        {
            opens = ParseTime(input.OpensAt);
            closes = ParseTime(input.ClosesAt);
            if (opens is null || closes is null) errors[HoursField] = EnterTimes;
            // Closing before opening is an overnight shift, not a mistake; only equal times say nothing.
            else if (opens == closes) errors[HoursField] = SameTimes;
            if (days.Count == 0) errors[OpenDaysField] = TickDays;
        }

        if (errors.Count == 0) valid = new ValidHours(zone, opens, closes, string.Join(',', days));
        return errors;
    }
}
