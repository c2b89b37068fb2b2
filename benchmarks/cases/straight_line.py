"""300 straight-line statements on small tensors and arrays."""
import numpy as np
import torch

a0 = torch.tensor([0.0, 1.0, 2.0])
b1 = a0 * 2 + 1
c2 = np.arange(5) * 2
d3 = float(b1.sum()) + c2.mean()
e4 = [d3, 4, 'item4']
print(e4[0], b1.shape)
a6 = torch.tensor([6.0, 7.0, 8.0])
b7 = a6 * 2 + 1
c8 = np.arange(6) * 8
d9 = float(b7.sum()) + c8.mean()
e10 = [d9, 10, 'item10']
print(e10[0], b7.shape)
a12 = torch.tensor([12.0, 13.0, 14.0])
b13 = a12 * 2 + 1
c14 = np.arange(7) * 14
d15 = float(b13.sum()) + c14.mean()
e16 = [d15, 16, 'item16']
print(e16[0], b13.shape)
a18 = torch.tensor([18.0, 19.0, 20.0])
b19 = a18 * 2 + 1
c20 = np.arange(3) * 20
d21 = float(b19.sum()) + c20.mean()
e22 = [d21, 22, 'item22']
print(e22[0], b19.shape)
a24 = torch.tensor([24.0, 25.0, 26.0])
b25 = a24 * 2 + 1
c26 = np.arange(4) * 26
d27 = float(b25.sum()) + c26.mean()
e28 = [d27, 28, 'item28']
print(e28[0], b25.shape)
a30 = torch.tensor([30.0, 31.0, 32.0])
b31 = a30 * 2 + 1
c32 = np.arange(5) * 32
d33 = float(b31.sum()) + c32.mean()
e34 = [d33, 34, 'item34']
print(e34[0], b31.shape)
a36 = torch.tensor([36.0, 37.0, 38.0])
b37 = a36 * 2 + 1
c38 = np.arange(6) * 38
d39 = float(b37.sum()) + c38.mean()
e40 = [d39, 40, 'item40']
print(e40[0], b37.shape)
a42 = torch.tensor([42.0, 43.0, 44.0])
b43 = a42 * 2 + 1
c44 = np.arange(7) * 44
d45 = float(b43.sum()) + c44.mean()
e46 = [d45, 46, 'item46']
print(e46[0], b43.shape)
a48 = torch.tensor([48.0, 49.0, 50.0])
b49 = a48 * 2 + 1
c50 = np.arange(3) * 50
d51 = float(b49.sum()) + c50.mean()
e52 = [d51, 52, 'item52']
print(e52[0], b49.shape)
a54 = torch.tensor([54.0, 55.0, 56.0])
b55 = a54 * 2 + 1
c56 = np.arange(4) * 56
d57 = float(b55.sum()) + c56.mean()
e58 = [d57, 58, 'item58']
print(e58[0], b55.shape)
a60 = torch.tensor([60.0, 61.0, 62.0])
b61 = a60 * 2 + 1
c62 = np.arange(5) * 62
d63 = float(b61.sum()) + c62.mean()
e64 = [d63, 64, 'item64']
print(e64[0], b61.shape)
a66 = torch.tensor([66.0, 67.0, 68.0])
b67 = a66 * 2 + 1
c68 = np.arange(6) * 68
d69 = float(b67.sum()) + c68.mean()
e70 = [d69, 70, 'item70']
print(e70[0], b67.shape)
a72 = torch.tensor([72.0, 73.0, 74.0])
b73 = a72 * 2 + 1
c74 = np.arange(7) * 74
d75 = float(b73.sum()) + c74.mean()
e76 = [d75, 76, 'item76']
print(e76[0], b73.shape)
a78 = torch.tensor([78.0, 79.0, 80.0])
b79 = a78 * 2 + 1
c80 = np.arange(3) * 80
d81 = float(b79.sum()) + c80.mean()
e82 = [d81, 82, 'item82']
print(e82[0], b79.shape)
a84 = torch.tensor([84.0, 85.0, 86.0])
b85 = a84 * 2 + 1
c86 = np.arange(4) * 86
d87 = float(b85.sum()) + c86.mean()
e88 = [d87, 88, 'item88']
print(e88[0], b85.shape)
a90 = torch.tensor([90.0, 91.0, 92.0])
b91 = a90 * 2 + 1
c92 = np.arange(5) * 92
d93 = float(b91.sum()) + c92.mean()
e94 = [d93, 94, 'item94']
print(e94[0], b91.shape)
a96 = torch.tensor([96.0, 97.0, 98.0])
b97 = a96 * 2 + 1
c98 = np.arange(6) * 98
d99 = float(b97.sum()) + c98.mean()
e100 = [d99, 100, 'item100']
print(e100[0], b97.shape)
a102 = torch.tensor([102.0, 103.0, 104.0])
b103 = a102 * 2 + 1
c104 = np.arange(7) * 104
d105 = float(b103.sum()) + c104.mean()
e106 = [d105, 106, 'item106']
print(e106[0], b103.shape)
a108 = torch.tensor([108.0, 109.0, 110.0])
b109 = a108 * 2 + 1
c110 = np.arange(3) * 110
d111 = float(b109.sum()) + c110.mean()
e112 = [d111, 112, 'item112']
print(e112[0], b109.shape)
a114 = torch.tensor([114.0, 115.0, 116.0])
b115 = a114 * 2 + 1
c116 = np.arange(4) * 116
d117 = float(b115.sum()) + c116.mean()
e118 = [d117, 118, 'item118']
print(e118[0], b115.shape)
a120 = torch.tensor([120.0, 121.0, 122.0])
b121 = a120 * 2 + 1
c122 = np.arange(5) * 122
d123 = float(b121.sum()) + c122.mean()
e124 = [d123, 124, 'item124']
print(e124[0], b121.shape)
a126 = torch.tensor([126.0, 127.0, 128.0])
b127 = a126 * 2 + 1
c128 = np.arange(6) * 128
d129 = float(b127.sum()) + c128.mean()
e130 = [d129, 130, 'item130']
print(e130[0], b127.shape)
a132 = torch.tensor([132.0, 133.0, 134.0])
b133 = a132 * 2 + 1
c134 = np.arange(7) * 134
d135 = float(b133.sum()) + c134.mean()
e136 = [d135, 136, 'item136']
print(e136[0], b133.shape)
a138 = torch.tensor([138.0, 139.0, 140.0])
b139 = a138 * 2 + 1
c140 = np.arange(3) * 140
d141 = float(b139.sum()) + c140.mean()
e142 = [d141, 142, 'item142']
print(e142[0], b139.shape)
a144 = torch.tensor([144.0, 145.0, 146.0])
b145 = a144 * 2 + 1
c146 = np.arange(4) * 146
d147 = float(b145.sum()) + c146.mean()
e148 = [d147, 148, 'item148']
print(e148[0], b145.shape)
a150 = torch.tensor([150.0, 151.0, 152.0])
b151 = a150 * 2 + 1
c152 = np.arange(5) * 152
d153 = float(b151.sum()) + c152.mean()
e154 = [d153, 154, 'item154']
print(e154[0], b151.shape)
a156 = torch.tensor([156.0, 157.0, 158.0])
b157 = a156 * 2 + 1
c158 = np.arange(6) * 158
d159 = float(b157.sum()) + c158.mean()
e160 = [d159, 160, 'item160']
print(e160[0], b157.shape)
a162 = torch.tensor([162.0, 163.0, 164.0])
b163 = a162 * 2 + 1
c164 = np.arange(7) * 164
d165 = float(b163.sum()) + c164.mean()
e166 = [d165, 166, 'item166']
print(e166[0], b163.shape)
a168 = torch.tensor([168.0, 169.0, 170.0])
b169 = a168 * 2 + 1
c170 = np.arange(3) * 170
d171 = float(b169.sum()) + c170.mean()
e172 = [d171, 172, 'item172']
print(e172[0], b169.shape)
a174 = torch.tensor([174.0, 175.0, 176.0])
b175 = a174 * 2 + 1
c176 = np.arange(4) * 176
d177 = float(b175.sum()) + c176.mean()
e178 = [d177, 178, 'item178']
print(e178[0], b175.shape)
a180 = torch.tensor([180.0, 181.0, 182.0])
b181 = a180 * 2 + 1
c182 = np.arange(5) * 182
d183 = float(b181.sum()) + c182.mean()
e184 = [d183, 184, 'item184']
print(e184[0], b181.shape)
a186 = torch.tensor([186.0, 187.0, 188.0])
b187 = a186 * 2 + 1
c188 = np.arange(6) * 188
d189 = float(b187.sum()) + c188.mean()
e190 = [d189, 190, 'item190']
print(e190[0], b187.shape)
a192 = torch.tensor([192.0, 193.0, 194.0])
b193 = a192 * 2 + 1
c194 = np.arange(7) * 194
d195 = float(b193.sum()) + c194.mean()
e196 = [d195, 196, 'item196']
print(e196[0], b193.shape)
a198 = torch.tensor([198.0, 199.0, 200.0])
b199 = a198 * 2 + 1
c200 = np.arange(3) * 200
d201 = float(b199.sum()) + c200.mean()
e202 = [d201, 202, 'item202']
print(e202[0], b199.shape)
a204 = torch.tensor([204.0, 205.0, 206.0])
b205 = a204 * 2 + 1
c206 = np.arange(4) * 206
d207 = float(b205.sum()) + c206.mean()
e208 = [d207, 208, 'item208']
print(e208[0], b205.shape)
a210 = torch.tensor([210.0, 211.0, 212.0])
b211 = a210 * 2 + 1
c212 = np.arange(5) * 212
d213 = float(b211.sum()) + c212.mean()
e214 = [d213, 214, 'item214']
print(e214[0], b211.shape)
a216 = torch.tensor([216.0, 217.0, 218.0])
b217 = a216 * 2 + 1
c218 = np.arange(6) * 218
d219 = float(b217.sum()) + c218.mean()
e220 = [d219, 220, 'item220']
print(e220[0], b217.shape)
a222 = torch.tensor([222.0, 223.0, 224.0])
b223 = a222 * 2 + 1
c224 = np.arange(7) * 224
d225 = float(b223.sum()) + c224.mean()
e226 = [d225, 226, 'item226']
print(e226[0], b223.shape)
a228 = torch.tensor([228.0, 229.0, 230.0])
b229 = a228 * 2 + 1
c230 = np.arange(3) * 230
d231 = float(b229.sum()) + c230.mean()
e232 = [d231, 232, 'item232']
print(e232[0], b229.shape)
a234 = torch.tensor([234.0, 235.0, 236.0])
b235 = a234 * 2 + 1
c236 = np.arange(4) * 236
d237 = float(b235.sum()) + c236.mean()
e238 = [d237, 238, 'item238']
print(e238[0], b235.shape)
a240 = torch.tensor([240.0, 241.0, 242.0])
b241 = a240 * 2 + 1
c242 = np.arange(5) * 242
d243 = float(b241.sum()) + c242.mean()
e244 = [d243, 244, 'item244']
print(e244[0], b241.shape)
a246 = torch.tensor([246.0, 247.0, 248.0])
b247 = a246 * 2 + 1
c248 = np.arange(6) * 248
d249 = float(b247.sum()) + c248.mean()
e250 = [d249, 250, 'item250']
print(e250[0], b247.shape)
a252 = torch.tensor([252.0, 253.0, 254.0])
b253 = a252 * 2 + 1
c254 = np.arange(7) * 254
d255 = float(b253.sum()) + c254.mean()
e256 = [d255, 256, 'item256']
print(e256[0], b253.shape)
a258 = torch.tensor([258.0, 259.0, 260.0])
b259 = a258 * 2 + 1
c260 = np.arange(3) * 260
d261 = float(b259.sum()) + c260.mean()
e262 = [d261, 262, 'item262']
print(e262[0], b259.shape)
a264 = torch.tensor([264.0, 265.0, 266.0])
b265 = a264 * 2 + 1
c266 = np.arange(4) * 266
d267 = float(b265.sum()) + c266.mean()
e268 = [d267, 268, 'item268']
print(e268[0], b265.shape)
a270 = torch.tensor([270.0, 271.0, 272.0])
b271 = a270 * 2 + 1
c272 = np.arange(5) * 272
d273 = float(b271.sum()) + c272.mean()
e274 = [d273, 274, 'item274']
print(e274[0], b271.shape)
a276 = torch.tensor([276.0, 277.0, 278.0])
b277 = a276 * 2 + 1
c278 = np.arange(6) * 278
d279 = float(b277.sum()) + c278.mean()
e280 = [d279, 280, 'item280']
print(e280[0], b277.shape)
a282 = torch.tensor([282.0, 283.0, 284.0])
b283 = a282 * 2 + 1
c284 = np.arange(7) * 284
d285 = float(b283.sum()) + c284.mean()
e286 = [d285, 286, 'item286']
print(e286[0], b283.shape)
a288 = torch.tensor([288.0, 289.0, 290.0])
b289 = a288 * 2 + 1
c290 = np.arange(3) * 290
d291 = float(b289.sum()) + c290.mean()
e292 = [d291, 292, 'item292']
print(e292[0], b289.shape)
a294 = torch.tensor([294.0, 295.0, 296.0])
b295 = a294 * 2 + 1
c296 = np.arange(4) * 296
d297 = float(b295.sum()) + c296.mean()
