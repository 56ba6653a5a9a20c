using Recoverly.Businesses;

namespace Recoverly.Owners;

/// <summary>One stretch of the owner's quiet hours, in UTC.</summary>
public sealed record QuietWindow(DateTime StartUtc, DateTime EndUtc);

/// <summary>The owner's quiet hours (business-local, may span midnight): alerts wait for a morning digest.</summary>
public static class QuietHours
{
    /// <summary>The quiet stretch <paramref name="utc"/> falls in, or null when alerts may go now.</summary>
    public static QuietWindow? Current(Business business, DateTime utc)
    {
        if (business.QuietHoursStart is not { } start || business.QuietHoursEnd is not { } end || start == end) return null;
        var zone = BusinessClock.Zone(business.TimeZone);
        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, zone);
        var today = DateOnly.FromDateTime(local);
        var time = TimeOnly.FromDateTime(local);
        if (start < end)
            return time >= start && time < end ? new(ToUtc(today, start, zone), ToUtc(today, end, zone)) : null;
        if (time >= start) return new(ToUtc(today, start, zone), ToUtc(today.AddDays(1), end, zone));
        if (time < end) return new(ToUtc(today.AddDays(-1), start, zone), ToUtc(today, end, zone));
        return null;
    }

    private static DateTime ToUtc(DateOnly day, TimeOnly time, TimeZoneInfo zone) => BusinessClock.ToUtc(day, time, zone);
}
