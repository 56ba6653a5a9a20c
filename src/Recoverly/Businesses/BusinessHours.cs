using System.Globalization;

namespace Recoverly.Businesses;

/// <summary>Business-local opening hours: they decide which text-back template a caller gets.</summary>
public static class BusinessHours
{
    public static readonly IReadOnlyList<string> DayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    public static string DayName(DayOfWeek day) => DayNames[((int)day + 6) % 7];

    public static bool IsOpenDay(Business business, DayOfWeek day) => OpenDayNames(business).Contains(DayName(day));

    /// <summary>The business's open days, Monday first ("Mon", "Tue", …).</summary>
    public static IReadOnlyList<string> OpenDayNames(Business business)
    {
        var stored = business.OpenDays.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return DayNames.Where(d => stored.Contains(d, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>True when no hours are set. Hours that close before they open run past midnight (e.g. 18:00–02:00).</summary>
    public static bool IsOpen(Business business, DateTime utc)
    {
        if (business.OpensAt is not { } opens || business.ClosesAt is not { } closes || opens == closes) return true;
        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, BusinessClock.Zone(business.TimeZone));
        var time = TimeOnly.FromDateTime(local);
        if (opens < closes) return IsOpenDay(business, local.DayOfWeek) && time >= opens && time < closes;
        // Overnight: the late part belongs to today's opening, the early part to yesterday's.
        return time >= opens ? IsOpenDay(business, local.DayOfWeek) : time < closes && IsOpenDay(business, local.AddDays(-1).DayOfWeek);
    }

    /// <summary>"Mon, Tue 8:00 AM–5:00 PM" for the settings page; "none set" when every call counts as business hours.</summary>
    public static string Describe(Business business)
    {
        if (business.OpensAt is not { } opens || business.ClosesAt is not { } closes || opens == closes) return "none set";
        return $"{string.Join(", ", OpenDayNames(business))} {opens.ToString("h:mm tt", CultureInfo.InvariantCulture)}–{closes.ToString("h:mm tt", CultureInfo.InvariantCulture)}";
    }
}
