using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;

namespace Recoverly.Telephony;

/// <summary>The undo steps for a business's own carrier, with its Recoverly number: shown before cancelling and on account deletion.</summary>
public static class ForwardingUndo
{
    /// <summary>Null when the owner never picked a carrier (the page then points at all the guides).</summary>
    public static async Task<ForwardingInstructions?> ForAsync(RecoverlyDb db, Business business, CancellationToken ct)
    {
        if (ForwardingGuide.Find(business.ForwardingCarrier) is null) return null;
        var number = await db.Numbers.AsNoTracking().Where(n => n.BusinessId == business.Id).OrderBy(n => n.Id)
            .Select(n => n.E164).FirstOrDefaultAsync(ct);
        return ForwardingGuide.For(business.ForwardingCarrier, number);
    }
}
