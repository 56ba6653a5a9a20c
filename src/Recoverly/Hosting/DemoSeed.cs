using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Telephony;

namespace Recoverly.Hosting;

/// <summary>In simulator mode an empty database gets a demo business, so the first run shows the product at once.</summary>
public static class DemoSeed
{
    public const string DemoNumber = "+15125550100";
    public const string DemoBusinessLine = "+15125550101";
    public const string DemoOwnerPhone = "+15125550199";
    public const string DemoCaller = "+15125550142";
    public const string DemoOwnerEmail = "demo@recoverly.local";
    /// <summary>Only ever seeded in simulator mode, into an empty local database; printed on the console.</summary>
    public const string DemoOwnerPassword = "recoverly-demo";

    public static async Task SeedAsync(WebApplication app)
    {
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            if (!await db.Businesses.AnyAsync())
            {
                var registry = scope.ServiceProvider.GetRequiredService<BusinessRegistry>();
                var (business, _) = await registry.CreateAsync(
                    new NewBusiness("Demo Plumbing", DemoNumber, DemoBusinessLine, DemoOwnerPhone, "owner@demo-plumbing.example",
                        CallMode.Forwarding, "America/Chicago"),
                    "demo seed (simulator)", CancellationToken.None);
                // Seeded confirmed: the demo owner has no mailbox, and its email is not real.
                var (account, _) = await scope.ServiceProvider.GetRequiredService<Owners.Accounts>()
                    .CreateAsync(DemoOwnerEmail, DemoOwnerPassword, emailVerified: true, CancellationToken.None);
                if (business is not null)
                {
                    await db.OwnerAccounts.Where(a => a.Id == account.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(a => a.BusinessId, business.Id));
                    await db.Businesses.Where(b => b.Id == business.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(b => b.OnboardedAt, DateTime.UtcNow));
                }
            }
        }
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var urls = app.Services.GetRequiredService<PublicUrls>();
            Console.WriteLine($"""

                Recoverly is running (telephony: built-in simulator) at {urls.Base}
                  Simulator:  {urls.For("/simulator")}  — call Demo Plumbing at {Phones.FormatForDisplay(DemoNumber)}, let it ring out, get the text-back, reply STOP or HELP
                  Owner login: {urls.For("/login")}  email {DemoOwnerEmail}  password {DemoOwnerPassword}
                  Demo owner: phone {Phones.FormatForDisplay(DemoOwnerPhone)} (reply YES on the owner's phone in the simulator to turn on alerts)
                  Health:     {urls.For("/healthz")}

                """);
        });
    }
}
