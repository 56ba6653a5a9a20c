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

    [Theory]
    [InlineData("08:00", 8, 0)]
    [InlineData("8:00", 8, 0)]
    [InlineData(" 18:00 ", 18, 0)]
    [InlineData("02:00", 2, 0)]
    [InlineData("23:59:00", 23, 59)]
    [InlineData("6:00 PM", 18, 0)]
    [InlineData("6pm", 18, 0)]
    [InlineData("12:30 AM", 0, 30)]
    [InlineData("00:00", 0, 0)]
    public void The_hours_parser_reads_what_a_time_input_sends_and_what_an_owner_types(string typed, int hour, int minute) =>
        Assert.Equal(new TimeOnly(hour, minute), HoursForm.ParseTime(typed));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("24:00")]
    [InlineData("25:00")]
    [InlineData("8")]
    [InlineData("noon")]
    [InlineData("08:60")]
    [InlineData("13:00 PM")]
    public void The_hours_parser_refuses_anything_else(string? typed) => Assert.Null(HoursForm.ParseTime(typed));

    public static TheoryData<string, string, string, string[], bool, string?, string?> HoursForms => new()
    {
        // zone, opens, closes, days, 24/7 → stored hours ("opens–closes days"), or the field and problem
        { "America/Chicago", "08:00", "17:00", ["Mon", "Fri"], false, "08:00–17:00 Mon,Fri", null },
        { "America/Chicago", "18:00", "02:00", ["Fri", "Sat"], false, "18:00–02:00 Fri,Sat", null },        // overnight: one evening shift
        { "America/Chicago", "07:30", "06:00", ["Mon"], false, "07:30–06:00 Mon", null },                   // closes just before it opens
        { "America/New_York", "9:00 AM", "5:00 PM", ["sun", "MON"], false, "09:00–17:00 Mon,Sun", null },  // days in week order, any case
        { "America/Chicago", "", "", [], true, "– Mon,Tue,Wed,Thu,Fri,Sat,Sun", null },                   // 24/7: no times, every day
        { "America/Chicago", "25:00", "oops", ["Mon"], true, "– Mon,Tue,Wed,Thu,Fri,Sat,Sun", null },    // 24/7 ignores the time fields
        { "America/Indiana/Indianapolis", "08:00", "17:00", ["Mon"], false, "08:00–17:00 Mon", null },     // any IANA zone, not only the list
        { "America/Chicago", "09:00", "09:00", ["Mon"], false, null, $"Hours: {HoursForm.SameTimes}" },
        { "America/Chicago", "", "17:00", ["Mon"], false, null, $"Hours: {HoursForm.EnterTimes}" },
        { "America/Chicago", "08:00", "", ["Mon"], false, null, $"Hours: {HoursForm.EnterTimes}" },
        { "America/Chicago", "", "", ["Mon"], false, null, $"Hours: {HoursForm.EnterTimes}" },
        { "America/Chicago", "8", "17:00", ["Mon"], false, null, $"Hours: {HoursForm.EnterTimes}" },
        { "America/Chicago", "08:00", "17:00", [], false, null, $"OpenDays: {HoursForm.TickDays}" },
        { "America/Chicago", "08:00", "17:00", ["Funday"], false, null, $"OpenDays: {HoursForm.TickDays}" },
        { "Mars/Olympus_Mons", "08:00", "17:00", ["Mon"], false, null, $"TimeZone: {HoursForm.PickTimeZone}" },
        { "Central Standard Time", "08:00", "17:00", ["Mon"], false, null, $"TimeZone: {HoursForm.PickTimeZone}" },
        { "", "08:00", "17:00", ["Mon"], false, null, $"TimeZone: {HoursForm.PickTimeZone}" },
    };

    [Theory]
    [MemberData(nameof(HoursForms))]
    public void The_hours_form_accepts_overnight_hours_and_names_each_problem(string zone, string opens, string closes, string[] days,
        bool alwaysOpen, string? stored, string? problem)
    {
        var errors = HoursForm.Validate(new HoursInput(zone, opens, closes, days, alwaysOpen), out var valid);

        Assert.Equal(problem, errors.Count == 0 ? null : string.Join(" | ", errors.Select(e => $"{e.Key}: {e.Value}")));
        Assert.Equal(stored, valid is null ? null : $"{HoursForm.Format(valid.OpensAt)}–{HoursForm.Format(valid.ClosesAt)} {valid.OpenDays}");
        if (valid is not null) Assert.Equal(zone, valid.TimeZone);
    }

    [Fact]
    public void Stored_hours_fill_the_form_and_read_back_the_same()
    {
        var shop = Shop("18:00", "02:00", "Fri,Sat");
        var input = HoursInput.From(shop);

        Assert.Equal(("America/Chicago", "18:00", "02:00", false), (input.TimeZone, input.OpensAt, input.ClosesAt, input.AlwaysOpen));
        Assert.Equal(["Fri", "Sat"], input.OpenDays);
        HoursForm.Validate(input, out var valid);
        Assert.Equal(new ValidHours("America/Chicago", new TimeOnly(18, 0), new TimeOnly(2, 0), "Fri,Sat"), valid);
        Assert.Equal("Fri, Sat 6:00 PM–2:00 AM", BusinessHours.Describe(shop));
    }

    [Fact]
    public void The_zone_picker_offers_the_common_zones_and_keeps_another_valid_zone()
    {
        Assert.Equal(HoursForm.CommonTimeZones, HoursForm.ZonesFor("America/Chicago"));
        Assert.Equal(HoursForm.CommonTimeZones, HoursForm.ZonesFor("Not/A_Zone"));
        Assert.Equal(("America/Indiana/Indianapolis", "America/Indiana/Indianapolis"), HoursForm.ZonesFor("America/Indiana/Indianapolis")[0]);
    }

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
