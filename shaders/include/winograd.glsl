// Winograd F(F x F, 3 x 3) transforms (Lavin and Gray, 2015), for F = 2 or
// 4 (a specialisation constant F the shader declares): an output tile of
// F x F pixels comes from an ALPHA x ALPHA input patch, ALPHA = F + 2, and
// costs ALPHA^2 multiplies per channel pair where a direct 3x3 costs 9 F^2.
//   Y = A^T [(G g G^T) . (B^T d B)] A
// Loops over these matrices run unrolled with constant indices, so the
// zeros and ones fold away.
const uint ALPHA = F + 2u;

const float BT2[4][4] = float[4][4](
    float[4](1, 0, -1, 0), float[4](0, 1, 1, 0), float[4](0, -1, 1, 0), float[4](0, 1, 0, -1));
const float G2[4][3] = float[4][3](
    float[3](1, 0, 0), float[3](0.5, 0.5, 0.5), float[3](0.5, -0.5, 0.5), float[3](0, 0, 1));
const float AT2[2][4] = float[2][4](float[4](1, 1, 1, 0), float[4](0, 1, -1, -1));

const float BT4[6][6] = float[6][6](
    float[6](4, 0, -5, 0, 1, 0), float[6](0, -4, -4, 1, 1, 0), float[6](0, 4, -4, -1, 1, 0),
    float[6](0, -2, -1, 2, 1, 0), float[6](0, 2, -1, -2, 1, 0), float[6](0, 4, 0, -5, 0, 1));
const float G4[6][3] = float[6][3](
    float[3](1.0 / 4.0, 0, 0), float[3](-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0),
    float[3](-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0), float[3](1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0),
    float[3](1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0), float[3](0, 0, 1));
const float AT4[4][6] = float[4][6](
    float[6](1, 1, 1, 1, 1, 0), float[6](0, 1, -1, 2, -2, 0), float[6](0, 1, 1, 4, 4, 0),
    float[6](0, 1, -1, 8, -8, 1));

float BT(uint a, uint i) { return F == 2u ? BT2[a][i] : BT4[a][i]; }  // ALPHA x ALPHA
float G(uint a, uint r) { return F == 2u ? G2[a][r] : G4[a][r]; }     // ALPHA x 3
float AT(uint r, uint a) { return F == 2u ? AT2[r][a] : AT4[r][a]; }  // F x ALPHA
