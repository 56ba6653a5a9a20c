using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Operator;
using Recoverly.Public;
using Recoverly.Telephony;

namespace Recoverly.Pages.Operator;

/// <summary>10DLC campaign text for one business (or the sample business), from the live templates, checked against the registry's limits.</summary>
public sealed class RegistrationModel(RecoverlyDb db, PublicUrls urls) : PageModel
{
    [Microsoft.AspNetCore.Mvc.BindProperty(SupportsGet = true, Name = "business")] public long? BusinessId { get; set; }

    public CampaignRegistration.Campaign Campaign { get; private set; } = null!;
    public Business Business { get; private set; } = ExampleMessages.Sample;
    public IReadOnlyList<(long Id, string Name)> Choices { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Choices = (await db.Businesses.AsNoTracking().Where(b => b.DeletedAt == null).OrderBy(b => b.Name)
            .Select(b => new { b.Id, b.Name }).ToListAsync(ct)).Select(b => (b.Id, b.Name)).ToList();
        if (BusinessId is { } id && await db.Businesses.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, ct) is { } chosen) Business = chosen;
        Campaign = CampaignRegistration.For(Business, urls.Base);
    }
}
