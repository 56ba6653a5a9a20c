using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Telephony;

namespace Recoverly.Pages.Onboarding;

/// <summary>
/// Wizard steps 1 and 2: business details, then the Recoverly number — the business is created when step 2 completes.
/// Numbers are shown only to an owner whose email is confirmed, and the steps' posts are rate limited per account.
/// </summary>
[EnableRateLimiting(OwnerAuth.NumberStepRateLimit)]
public sealed class IndexModel(RecoverlyDb db, CurrentOwner owner, OwnerOnboarding onboarding) : PageModel
{
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? BusinessLine { get; set; }
    [BindProperty] public string? TimeZone { get; set; }
    [BindProperty] public string? OpensAt { get; set; }
    [BindProperty] public string? ClosesAt { get; set; }
    [BindProperty] public List<string> OpenDays { get; set; } = [];
    [BindProperty] public bool AlwaysOpen { get; set; }
    [BindProperty] public string? Number { get; set; }

    /// <summary>1 = business details, 2 = Recoverly number.</summary>
    public int Step { get; private set; } = 1;
    public Dictionary<string, string> Errors { get; private set; } = [];
    public string? Problem { get; private set; }
    public FreeNumbers? Free { get; private set; }
    public bool OwnerChoosesNumber => onboarding.OwnerChoosesNumber;
    public bool EmailVerified { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await ExistingBusinessAsync(ct) is { } next) return Redirect(next);
        TimeZone = OwnerOnboarding.DefaultTimeZone;
        OpensAt = "08:00";
        ClosesAt = "17:00";
        OpenDays = ["Mon", "Tue", "Wed", "Thu", "Fri"];
        return Page();
    }

    public async Task<IActionResult> OnPostDetailsAsync(CancellationToken ct)
    {
        if (await ExistingBusinessAsync(ct) is { } next) return Redirect(next);
        Errors = onboarding.Validate(Details(), out _);
        if (Errors.Count > 0) return Page();
        await ShowNumbersAsync(ct);
        return Page();
    }

    /// <summary>"Back" from the number step: the details form again, as typed.</summary>
    public IActionResult OnPostEdit() => Page();

    public async Task<IActionResult> OnPostNumberAsync(CancellationToken ct)
    {
        Errors = onboarding.Validate(Details(), out var valid);
        if (valid is null) return Page();
        var (business, error) = await onboarding.CreateBusinessAsync(owner.AccountId, valid, Number, ct);
        if (business is null)
        {
            Problem = error;
            await ShowNumbersAsync(ct);
            return Page();
        }
        return Redirect("/onboarding/greeting");
    }

    public HoursInput Hours => new(TimeZone, OpensAt, ClosesAt, OpenDays, AlwaysOpen);

    private BusinessDetails Details() => new(Name, BusinessLine, Hours);

    private async Task ShowNumbersAsync(CancellationToken ct)
    {
        Step = 2;
        EmailVerified = await Accounts.IsAccountEmailVerifiedAsync(db, owner.AccountId, ct);
        if (!EmailVerified) return;
        Free = await onboarding.FreeNumbersAsync(ct);
        // The owner's own line is never offered as its Recoverly number.
        var line = Phones.NormalizeUserInput(BusinessLine);
        Free = Free with { Numbers = Free.Numbers.Where(n => n.E164 != line).ToList() };
    }

    /// <summary>Where an owner who already has a business belongs: the inbox when onboarded, else the next step.</summary>
    private async Task<string?> ExistingBusinessAsync(CancellationToken ct)
    {
        var state = await db.OwnerAccounts.AsNoTracking()
            .Where(a => a.Id == owner.AccountId && a.BusinessId != null)
            .Join(db.Businesses, a => a.BusinessId, b => b.Id, (a, b) => new { b.OnboardedAt, b.ForwardingCarrier })
            .FirstOrDefaultAsync(ct);
        if (state is null) return null;
        if (state.OnboardedAt is not null) return "/app";
        return state.ForwardingCarrier is null ? "/onboarding/greeting" : "/onboarding/verify";
    }
}
