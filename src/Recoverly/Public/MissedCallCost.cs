using System.Globalization;
using Recoverly.Billing;

namespace Recoverly.Public;

public sealed record CostInputs(double MissedCallsPerWeek, double WouldBookPercent, double JobValue, double CloseRatePercent);

public sealed record CostResult(double RecoveredJobsPerMonth, double MonthlyAtRisk, double YearlyAtRisk, int JobsToPayForPlan);

/// <summary>
/// The missed-call cost calculator. The page's script (wwwroot/js/calculator.js) mirrors
/// <see cref="Calculate"/> step for step, so the no-JavaScript form and the live figures agree to the dollar;
/// the ranges, messages and plan price reach it through the form's data- and min/max attributes.
/// </summary>
public static class MissedCallCost
{
    public const double WeeksPerMonth = 52.0 / 12.0;
    public const string Formula =
        "monthly revenue at risk = missed calls per week × 52 ÷ 12 × share who would have booked × close rate × average job value";

    public static readonly CostInputs Example = new(10, 60, 350, 50);

    public static CostResult Calculate(CostInputs i)
    {
        var jobs = i.MissedCallsPerWeek * WeeksPerMonth * (i.WouldBookPercent / 100) * (i.CloseRatePercent / 100);
        var monthly = jobs * i.JobValue;
        return new CostResult(
            RoundHalfUp(jobs * 10) / 10,
            RoundHalfUp(monthly),
            RoundHalfUp(monthly * 12),
            (int)Math.Ceiling((double)BillingSettings.MonthlyPrice / i.JobValue));
    }

    /// <summary>Half away from zero, like JavaScript's Math.round for these non-negative figures.</summary>
    public static double RoundHalfUp(double value) => Math.Round(value, MidpointRounding.AwayFromZero);

    public static string Dollars(double value) => "$" + value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Jobs(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    public const string MissedField = "missed", BookField = "book", ValueField = "value", CloseField = "close";

    /// <summary>What each field accepts; the page's inputs carry it as min, max and step.</summary>
    public sealed record FieldRange(double Min, double Max, bool WholeOnly);

    public static readonly IReadOnlyDictionary<string, FieldRange> Ranges = new Dictionary<string, FieldRange>
    {
        [MissedField] = new(0, 1000, WholeOnly: true),
        [BookField] = new(0, 100, WholeOnly: false),
        [ValueField] = new(1, 1_000_000, WholeOnly: false),
        [CloseField] = new(0, 100, WholeOnly: false),
    };

    public static readonly IReadOnlyDictionary<string, string> Messages = new Dictionary<string, string>
    {
        [MissedField] = "Missed calls per week: enter a whole number from 0 to 1,000.",
        [BookField] = "Share who would have booked: enter a percentage from 0 to 100.",
        [ValueField] = "Average job value: enter a dollar amount from $1 to $1,000,000.",
        [CloseField] = "Close rate: enter a percentage from 0 to 100.",
    };

    /// <summary>Parses the form's raw values; on any problem returns one message per bad field and no inputs.</summary>
    public static (CostInputs? Inputs, Dictionary<string, string> Errors) Parse(string? missed, string? book, string? value, string? close)
    {
        var errors = new Dictionary<string, string>();
        var m = Number(missed, Ranges[MissedField]);
        var b = Number(book, Ranges[BookField]);
        var v = Number(value, Ranges[ValueField]);
        var c = Number(close, Ranges[CloseField]);
        if (m is null) errors[MissedField] = Messages[MissedField];
        if (b is null) errors[BookField] = Messages[BookField];
        if (v is null) errors[ValueField] = Messages[ValueField];
        if (c is null) errors[CloseField] = Messages[CloseField];
        return errors.Count == 0 ? (new CostInputs(m!.Value, b!.Value, v!.Value, c!.Value), errors) : (null, errors);
    }

    /// <summary>One field, as <see cref="Parse"/> reads it (the owner's report takes three of them as its assumptions); null when out of range.</summary>
    public static double? ParseField(string field, string? raw) => Number(raw, Ranges[field]);

    private static double? Number(string? raw, FieldRange range)
    {
        var (min, max, wholeOnly) = range;
        var text = (raw ?? "").Trim().TrimStart('$').TrimEnd('%').Replace(",", "", StringComparison.Ordinal).Trim();
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return null;
        if (n < min || n > max || (wholeOnly && n != Math.Floor(n))) return null;
        return n;
    }
}
