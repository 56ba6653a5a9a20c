using Recoverly.Businesses;
using Recoverly.Owners;

namespace Recoverly.Tests.Owners;

public class HoursTests
{
    private static Business Shop(string opens, string closes, string days = "Mon,Tue,Wed,Thu,Fri") => new()
    {
        Name = "Acme", BusinessPhone = "+15125550101", TimeZone = "America/Chicago", OpenDays = days,
        OpensAt = TimeOnly.Parse(opens), ClosesAt = TimeOnly.Parse(closes),
        QuietHoursStart = TimeOnly.Parse(opens), QuietHoursEnd = TimeOnly.Parse(closes),
    };

    [Theory]
    [InlineData("08:00", "17:00", "2026-11-27T14:00:00Z", true)]   // Fri 8:00 AM
    [InlineData("08:00", "17:00", "2026-11-27T13:59:00Z", false)]  // Fri 7:59 AM (13:59 UTC would be open)
    [InlineData("08:00", "17:00", "2026-11-27T22:30:00Z", true)]   // Fri 4:30 PM (22:30 UTC would be closed)
    [InlineData("08:00", "17:00", "2026-11-27T23:00:00Z", false)]  // Fri 5:00 PM: closing time is closed
    [InlineData("08:00", "17:00", "2026-11-28T16:00:00Z", false)]  // Saturday
    [InlineData("18:00", "02:00", "2026-11-28T07:30:00Z", true)]   // Sat 1:30 AM: Friday's late shift (07:30 UTC would be closed)
    [InlineData("18:00", "02:00", "2026-11-30T07:30:00Z", false)]  // Mon 1:30 AM: Sunday was closed
    [InlineData("18:00", "02:00", "2026-11-30T01:00:00Z", false)]  // Sun 7:00 PM
    public void Business_hours_follow_the_local_clock_and_may_run_past_midnight(string opens, string closes, string utc, bool open) =>
        Assert.Equal(open, BusinessHours.IsOpen(Shop(opens, closes), DateTime.Parse(utc).ToUniversalTime()));

    [Fact]
    public void No_hours_means_always_open() =>
        Assert.All(new[] { new DateTime(2026, 11, 29, 9, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 30, 3, 0, 0, DateTimeKind.Utc) },
            at => Assert.True(BusinessHours.IsOpen(new Business { Name = "A", BusinessPhone = "+15125550101" }, at)));

    [Fact]
    public void Quiet_hours_span_midnight_and_end_at_the_local_morning_time()
    {
        var shop = Shop("21:00", "07:00");
        var night = QuietHours.Current(shop, new DateTime(2026, 11, 28, 4, 0, 0, DateTimeKind.Utc)); // Fri 10 PM CST
        var early = QuietHours.Current(shop, new DateTime(2026, 11, 28, 12, 59, 0, DateTimeKind.Utc)); // Sat 6:59 AM

        Assert.Equal(new QuietWindow(new DateTime(2026, 11, 28, 3, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 28, 13, 0, 0, DateTimeKind.Utc)), night);
        Assert.Equal(night, early);
        Assert.Null(QuietHours.Current(shop, new DateTime(2026, 11, 28, 13, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void Quiet_hours_across_the_spring_forward_night_end_at_7_local_daylight_time()
    {
        var shop = Shop("21:00", "07:00");
        var window = QuietHours.Current(shop, new DateTime(2027, 3, 14, 5, 0, 0, DateTimeKind.Utc)); // Sat 11 PM CST

        Assert.Equal(new DateTime(2027, 3, 14, 12, 0, 0, DateTimeKind.Utc), window!.EndUtc); // 7:00 CDT
    }
}
