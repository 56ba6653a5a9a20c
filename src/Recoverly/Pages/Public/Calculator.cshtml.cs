using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Recoverly.Public;

namespace Recoverly.Pages.Public;

/// <summary>A GET form, so it works without JavaScript; the page's script recomputes live with the same formula.</summary>
public sealed class CalculatorModel : PageModel
{
    [BindProperty(SupportsGet = true, Name = MissedCallCost.MissedField)] public string? Missed { get; set; }
    [BindProperty(SupportsGet = true, Name = MissedCallCost.BookField)] public string? Book { get; set; }
    [BindProperty(SupportsGet = true, Name = MissedCallCost.ValueField)] public string? Value { get; set; }
    [BindProperty(SupportsGet = true, Name = MissedCallCost.CloseField)] public string? Close { get; set; }

    public Dictionary<string, string> Errors { get; private set; } = [];
    public CostResult? Result { get; private set; }

    public void OnGet()
    {
        if (Request.Query.Count == 0)
        {
            // First visit: show the worked example.
            var e = MissedCallCost.Example;
            (Missed, Book, Value, Close) = (Format(e.MissedCallsPerWeek), Format(e.WouldBookPercent), Format(e.JobValue), Format(e.CloseRatePercent));
        }
        var (inputs, errors) = MissedCallCost.Parse(Missed, Book, Value, Close);
        Errors = errors;
        if (inputs is not null) Result = MissedCallCost.Calculate(inputs);
    }

    private static string Format(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
