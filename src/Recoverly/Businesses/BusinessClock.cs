namespace Recoverly.Businesses;

/// <summary>Business-local time: daily caps and alert times follow the owner's day, not UTC.</summary>
public static class BusinessClock
{
    public static TimeZoneInfo Zone(string timeZone) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    public static string LocalDay(DateTime utc, string timeZone) =>
        TimeZoneInfo.ConvertTimeFromUtc(utc, Zone(timeZone)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The UTC instant of <paramref name="time"/> on <paramref name="day"/> in <paramref name="zone"/>.</summary>
    public static DateTime ToUtc(DateOnly day, TimeOnly time, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(time, DateTimeKind.Unspecified);
        // A time the spring-forward jump skips happens an hour later on the wall clock.
        if (zone.IsInvalidTime(local)) local = local.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }

    /// <summary>The UTC instant the business's current local day began.</summary>
    public static DateTime StartOfLocalDayUtc(DateTime utc, string timeZone)
    {
        var zone = Zone(timeZone);
        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, zone).Date;
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        // A zone whose clocks jump at midnight has no local 00:00 that day; start at 01:00 instead.
        if (zone.IsInvalidTime(unspecified)) unspecified = unspecified.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(unspecified, zone);
    }
}
