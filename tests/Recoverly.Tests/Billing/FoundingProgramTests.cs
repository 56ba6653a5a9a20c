using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Owners;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Billing;

public class FoundingProgramTests
{
    [Theory]
    [BothDatabases]
    public async Task Fifty_simultaneous_claims_grant_exactly_ten(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var ids = await CreateBusinessesAsync(app, 50);

        var results = await Task.WhenAll(ids.Select(id => Task.Run(() =>
            app.WithScopeAsync(sp => sp.GetRequiredService<FoundingProgram>().ClaimAsync(id)))));

        Assert.Equal(10, results.Count(r => r.Outcome == FoundingOutcome.Granted));
        Assert.Equal(40, results.Count(r => r.Outcome == FoundingOutcome.Full));
        var claims = await app.QueryAsync(d => d.FoundingClaims.OrderBy(c => c.Slot).ToListAsync());
        Assert.Equal(Enumerable.Range(1, 10), claims.Select(c => c.Slot));
        Assert.Equal(10, claims.Select(c => c.BusinessId).Distinct().Count());
        var founding = await app.QueryAsync(d => d.Businesses.Where(b => b.Plan == PlanState.Founding).Select(b => b.Id).ToListAsync());
        Assert.Equal(claims.Select(c => c.BusinessId).Order(), founding.Order());
        Assert.Equal(0, await app.WithScopeAsync(sp => sp.GetRequiredService<FoundingProgram>().PlacesLeftAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task One_business_claiming_many_times_at_once_holds_one_slot(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var id = (await CreateBusinessesAsync(app, 1))[0];

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
            app.WithScopeAsync(sp => sp.GetRequiredService<FoundingProgram>().ClaimAsync(id)))));

        Assert.Single(results, r => r.Outcome == FoundingOutcome.Granted);
        Assert.All(results, r => Assert.Equal(1, r.Slot));
        Assert.Equal(1, await app.QueryAsync(d => d.FoundingClaims.CountAsync()));
    }

    [Fact]
    public async Task Owner_claims_a_spot_from_the_pricing_page_and_the_eleventh_is_offered_the_trial()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var ids = (await CreateBusinessesAsync(app, 9)).Concat(await CreateBusinessesAsync(app, 2, withOwner: false)).ToList(); // the last two sign in below
        foreach (var id in ids.Take(9)) await app.WithScopeAsync(sp => sp.GetRequiredService<FoundingProgram>().ClaimAsync(id));

        using var tenth = await OwnerClient.SignInAsync(app, ids[9]);
        Assert.Contains("Claim free lifetime access", await tenth.Http.GetStringAsync("/pricing"));
        var claimed = await tenth.PostAsync("/pricing?handler=Claim", [], tokenFrom: "/pricing");
        Assert.Equal(HttpStatusCode.Redirect, claimed.StatusCode);
        var page = WebUtility.HtmlDecode(await tenth.Http.GetStringAsync(claimed.Headers.Location!.OriginalString));
        Assert.Contains("You're founding user #10", page);
        Assert.Contains("0 of 10 spots left", page);
        Assert.Equal(PlanState.Founding, await app.QueryAsync(d => d.Businesses.Where(b => b.Id == ids[9]).Select(b => b.Plan).SingleAsync()));

        using var eleventh = await OwnerClient.SignInAsync(app, ids[10]);
        var full = await eleventh.Http.GetStringAsync("/pricing");
        Assert.DoesNotContain("Claim free lifetime access", full);
        Assert.Contains("The program is full. The 14-day free trial is still open to you.", full);
        // A claim posted from a page loaded while a spot still seemed free is told the program is full.
        var late = await eleventh.PostAsync("/pricing?handler=Claim", [], tokenFrom: "/login");
        var told = WebUtility.HtmlDecode(await eleventh.Http.GetStringAsync(late.Headers.Location!.OriginalString));
        Assert.Contains("the Founding User Program is full", told);
        Assert.Contains("Your 14-day free trial still stands", told);
        Assert.Equal(PlanState.Trial, await app.QueryAsync(d => d.Businesses.Where(b => b.Id == ids[10]).Select(b => b.Plan).SingleAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task A_founding_place_needs_a_confirmed_owner_email_and_a_verified_forwarding_call(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var unconfirmed = (await CreateBusinessesAsync(app, 1, emailVerified: false))[0];
        var unforwarded = (await CreateBusinessesAsync(app, 1, forwardingVerified: false))[0];
        var ownerless = (await CreateBusinessesAsync(app, 1, withOwner: false))[0];

        foreach (var id in new[] { unconfirmed, unforwarded, ownerless })
            Assert.Equal(FoundingOutcome.NotVerified, (await app.WithScopeAsync(sp => sp.GetRequiredService<FoundingProgram>().ClaimAsync(id))).Outcome);

        Assert.Equal(0, await app.QueryAsync(d => d.FoundingClaims.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.Businesses.CountAsync(b => b.Plan == PlanState.Founding)));
        Assert.Equal(FoundingProgram.Places, await app.WithScopeAsync(sp => sp.GetRequiredService<FoundingProgram>().PlacesLeftAsync()));
    }

    [Fact]
    public async Task The_pricing_page_tells_an_unconfirmed_owner_what_to_do_before_claiming()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var id = (await CreateBusinessesAsync(app, 1, forwardingVerified: false, withOwner: false))[0];
        using var owner = await OwnerClient.SignInAsync(app, id, emailVerified: false);

        var page = WebUtility.HtmlDecode(await owner.Http.GetStringAsync("/pricing"));
        Assert.DoesNotContain("Claim free lifetime access", page);
        Assert.Contains("Confirm your email with the link we sent you.", page);
        Assert.Contains("Verify call forwarding with a test call", page);

        var claimed = await owner.PostAsync("/pricing?handler=Claim", [], tokenFrom: "/login");
        var told = WebUtility.HtmlDecode(await owner.Http.GetStringAsync(claimed.Headers.Location!.OriginalString));
        Assert.Contains("confirm your email and verify call forwarding", told);
        Assert.Equal(0, await app.QueryAsync(d => d.FoundingClaims.CountAsync()));
    }

    [Fact]
    public async Task Anonymous_visitor_is_sent_to_sign_up_and_a_claim_post_to_log_in()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        using var visitor = OwnerClient.Anonymous(app);

        var page = await visitor.Http.GetStringAsync("/pricing");
        Assert.Contains("<a class=\"button\" href=\"/signup\">Create your account</a>", page);

        var post = await visitor.PostAsync("/pricing?handler=Claim", [], tokenFrom: "/login");
        Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
        Assert.Equal("/login?ReturnUrl=%2Fpricing", post.Headers.Location!.OriginalString);
        Assert.Equal(0, await app.QueryAsync(d => d.FoundingClaims.CountAsync()));
    }

    /// <summary>
    /// Businesses straight into the database (no numbers needed to claim), set up for real unless told otherwise:
    /// forwarding verified, and (<paramref name="withOwner"/>) an owner login whose email is confirmed.
    /// </summary>
    internal static async Task<List<long>> CreateBusinessesAsync(TestApp app, int count, bool emailVerified = true, bool forwardingVerified = true,
        bool withOwner = true)
    {
        var now = app.Time.GetUtcNow().UtcDateTime;
        return await app.QueryAsync(async db =>
        {
            var businesses = Enumerable.Range(1, count).Select(i => new Business
            {
                Name = $"Business {i}", BusinessPhone = $"+1512555{i:0000}", CreatedAt = now, TrialEndsAt = now + Entitlement.TrialLength,
                ForwardingVerifiedAt = forwardingVerified ? now : null,
            }).ToList();
            db.Businesses.AddRange(businesses);
            await db.SaveChangesAsync();
            if (withOwner) db.OwnerAccounts.AddRange(businesses.Select(b => new OwnerAccount
            {
                Email = $"owner-{b.Id}@example.com", PasswordHash = "-", SecurityStamp = "-", BusinessId = b.Id, CreatedAt = now,
                EmailVerifiedAt = emailVerified ? now : null,
            }));
            await db.SaveChangesAsync();
            return businesses.Select(b => b.Id).ToList();
        });
    }
}
